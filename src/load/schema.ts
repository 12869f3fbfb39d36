// The zod schemas of the runbook format: the loader validates with them and json-schema.ts turns
// them into the JSON Schema editors read. Task args schemas come from the tasks themselves.

import { z } from 'zod';

const stringOrList = z.union([z.string(), z.array(z.string())]);
const condition = z.union([z.string(), z.boolean()]);
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name (letters, digits, _)');

export const VAR_TYPES = ['string', 'number', 'boolean', 'list', 'map', 'any'] as const;

export const varDeclSchema = z
  .object({
    type: z.enum(VAR_TYPES).optional(),
    default: z.unknown().optional(),
    description: z.string().optional(),
    secret: z.boolean().optional(),
    required: z.boolean().optional(),
  })
  .strict();

export const runbookHeaderSchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    hosts: z.string().optional().describe('Default host pattern for steps that name none (default: all)'),
    vars: z.record(z.string(), z.unknown()).optional().describe('Var defaults: a plain value, or {type, default, description, secret, required}'),
    strategy: z.enum(['linear', 'free']).optional(),
    serial: z.union([z.number().int().positive(), z.string().regex(/^\d+%$/, 'a count or a percentage like "30%"')]).optional(),
    on_failure: z.enum(['stop', 'rollback']).optional(),
    steps: z.array(z.unknown()).optional(),
    handlers: z.array(z.unknown()).optional(),
  })
  .strict();

/** Keywords every task step may carry beside its one task key. */
export const stepKeywordSchemas = {
  name: z.string(),
  hosts: z.string(),
  when: z.union([condition, z.array(condition)]),
  become: z.boolean(),
  become_user: z.string(),
  register: identifier,
  notify: stringOrList,
  retries: z.number().int().nonnegative(),
  delay: z.number().nonnegative(),
  until: z.string(),
  tags: stringOrList,
  run_once: z.boolean(),
  throttle: z.number().int().positive().describe('At most this many hosts run the step at once (1: one host after the other, e.g. a rolling restart)'),
  loop: z.union([z.array(z.unknown()), z.string()]),
  loop_control: z
    .object({
      loop_var: identifier.describe('The name of the loop variable (default item)'),
      index_var: identifier.describe("A variable holding the item's index, from 0"),
      label: z.string().describe("What names each item in the step's summary (a template: {{item.name}})"),
    })
    .partial()
    .strict(),
  ignore_errors: z.boolean(),
  any_errors_fatal: z.boolean().describe("When this step fails on a host, stop the play on every host: those waiting for their turn (throttle) do not start it (Ansible's any_errors_fatal)"),
  no_log: z.boolean().describe("Hide the step's output, diff, messages and registered values from the screen, --json and the journal (Ansible's no_log)"),
  timeout: z
    .number()
    .positive()
    .describe("Fail the step on a host when one attempt runs longer than this many seconds, killing its commands (Ansible's timeout); with retries, the next attempt starts"),
  check_mode: z.boolean(),
  changed_when: condition,
  failed_when: condition,
  args: z
    .record(z.string(), z.unknown())
    .describe("More arguments of the task, below those under its name (Ansible's args:, as in `shell: make` with `args: { chdir: /src }`)"),
  undo: z
    .array(z.record(z.string(), z.unknown()))
    .describe("Steps that reverse this one (command, shell); for a task with an undo of its own, steps rollback runs before that undo"),
  irreversible: z
    .string()
    .min(1)
    .describe("A point of no return (an upgrade's protocol bump): rollback stops before this step's changes, says this, and --force does not pass it"),
} as const;

export const handlerKeywordSchemas = { ...stepKeywordSchemas, listen: stringOrList } as const;

export const includeStepSchema = z
  .object({
    include: z.string().describe('A runbook name or a path relative to this file'),
    name: z.string().optional(),
    vars: z.record(z.string(), z.unknown()).optional(),
    when: stepKeywordSchemas.when.optional(),
    tags: stringOrList.optional(),
    hosts: z.string().optional(),
    irreversible: stepKeywordSchemas.irreversible.optional(),
    undo: z
      .array(z.record(z.string(), z.unknown()))
      .optional()
      .describe("Steps rollback runs on each host where the include changed something, once every host has undone those changes (a roll after restored config files)"),
  })
  .strict();

export const blockStepSchema = z
  .object({
    block: z.array(z.unknown()).min(1).describe('The steps; a failure among them runs rescue'),
    rescue: z.array(z.unknown()).optional().describe('Steps run on a host where a step of the block failed: the failure is rescued if they succeed'),
    always: z.array(z.unknown()).optional().describe('Steps run after the block (and rescue) whatever happened'),
    name: z.string().optional(),
    when: stepKeywordSchemas.when.optional(),
    tags: stringOrList.optional(),
  })
  .strict();

export const checkpointStepSchema = z.object({ checkpoint: z.string(), name: z.string().optional() }).strict();

export const flushHandlersStepSchema = z.object({ flush_handlers: z.literal(true), name: z.string().optional() }).strict();
