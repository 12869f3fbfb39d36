// The JSON Schema (draft 2020-12) of runbook files, generated from the same zod schemas the loader
// validates with, for editors (yaml-language-server): a step is one task step (its one task key
// holding that task's args), an include, a block, a checkpoint or flush_handlers.

import { z } from 'zod';
import type { TaskRegistry } from '../task/registry.js';
import { blockStepSchema, checkpointStepSchema, flushHandlersStepSchema, handlerKeywordSchemas, includeStepSchema, runbookHeaderSchema, stepKeywordSchemas } from './schema.js';

type JsonSchema = Record<string, unknown>;

function toJson(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function keywordProperties(keywords: Record<string, z.ZodType>): Record<string, JsonSchema> {
  const properties = Object.fromEntries(Object.entries(keywords).map(([k, s]) => [k, toJson(s)]));
  properties.undo = { type: 'array', description: properties.undo.description, items: { $ref: '#/$defs/undoStep' } };
  return properties;
}

export function runbookJsonSchema(registry: TaskRegistry): object {
  const stepProps = keywordProperties(stepKeywordSchemas);
  const handlerProps = keywordProperties(handlerKeywordSchemas);
  const defs: Record<string, JsonSchema> = {};
  const taskStep = (name: string, props: Record<string, JsonSchema>): JsonSchema => ({
    type: 'object',
    properties: { ...props, [name]: { $ref: `#/$defs/task.${name}` } },
    required: ['name', name],
    additionalProperties: false,
  });
  const names = registry.keys();
  for (const name of names) {
    const task = registry.get(name)!;
    // Or Ansible's text forms (src/load/task-args.ts): key=value words, or free-form text.
    const text: JsonSchema = { type: 'string', description: task.freeForm ? `the ${task.freeForm.arg} as free-form text (${task.freeForm.inline.map((o) => `${o}=`).join(' ')} taken out)` : 'key=value words' };
    defs[`task.${name}`] = { anyOf: [toJson(task.args), text], description: task.description };
  }
  const block = toJson(blockStepSchema);
  const blockProps = block.properties as Record<string, JsonSchema>;
  for (const part of ['block', 'rescue', 'always']) blockProps[part] = { ...blockProps[part], items: { $ref: '#/$defs/step' } };
  defs.step = {
    oneOf: [...names.map((n) => taskStep(n, stepProps)), toJson(includeStepSchema), block, toJson(checkpointStepSchema), toJson(flushHandlersStepSchema)],
  };
  defs.undoStep = { oneOf: names.map((n) => taskStep(n, stepProps)) };
  defs.handler = { oneOf: names.map((n) => ({ ...taskStep(n, handlerProps), required: [n] })) };
  const header = toJson(runbookHeaderSchema);
  const properties = header.properties as Record<string, JsonSchema>;
  properties.steps = { type: 'array', items: { $ref: '#/$defs/step' } };
  properties.handlers = { type: 'array', items: { $ref: '#/$defs/handler' } };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'runbook',
    description: 'A runbook: vars, steps (each one task) and handlers',
    ...header,
    $defs: defs,
  };
}
