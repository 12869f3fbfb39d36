// A task's arguments as Ansible playbooks give them, beside our mapping form:
//   shell: echo run >> /var/log/x          free-form text (command and shell), with `args:`
//   command: touch /x creates=/x chdir=/   Ansible's inline options in the free-form text
//   copy: src=a dest=/b mode=0644          key=value text, for any task
//   args: { creates: /x }                  under the step, below the task's own
// and fully qualified names (`ansible.builtin.lineinfile` is our `lineinfile`).

import type { TaskDefinition } from '../task/types.js';
import type { TaskRegistry } from '../task/registry.js';
import { splitWords } from './words.js';

/** Ansible's collections whose modules we have under their short names. */
const FQCN = /^ansible\.(?:builtin|legacy|posix)\.([a-z_][a-z0-9_]*)$/;

/** The task name a step key stands for, if it names one: its own, or Ansible's fully qualified one. */
export function taskNameOf(key: string, registry: TaskRegistry): string | undefined {
  if (registry.has(key)) return key;
  const m = FQCN.exec(key);
  return m && registry.has(m[1]) ? m[1] : undefined;
}

/** The task a step key names (its module loaded). */
export function taskFor(key: string, registry: TaskRegistry): TaskDefinition | undefined {
  const name = taskNameOf(key, registry);
  return name === undefined ? undefined : registry.get(name);
}

// Ansible's booleans in key=value text (its modules read them so), and in YAML 1.1.
const TRUE = /^(?:yes|true|on)$/i;
const FALSE = /^(?:no|false|off)$/i;

function kvValue(text: string, quoted: boolean): unknown {
  if (quoted) return text;
  return TRUE.test(text) ? true : FALSE.test(text) ? false : text;
}

export class ArgsTextError extends Error {}

const LONE_TEMPLATE = /^\s*\{\{[^{}]*\}\}\s*$/;

/**
 * The arguments a task's value stands for: a mapping as it is, nothing as {}, text as free-form
 * (the task's `freeForm` arg, with its inline options taken out) or as key=value words. `extra`
 * (the step's `args:`) is below them, as in Ansible.
 */
export function taskArgs(task: TaskDefinition, value: unknown, extra: Record<string, unknown> | undefined): unknown {
  // A task whose args are themselves text (`run: zkServer.sh start`) takes the text as it is.
  // So does a lone template standing for the whole mapping (`copy: "{{ copy_args }}"`).
  const text = typeof value === 'string' && (task.freeForm !== undefined || (!LONE_TEMPLATE.test(value) && !task.args.safeParse(value).success));
  const own = text ? textArgs(task, value as string) : value === null || value === undefined ? {} : value;
  if (!own || typeof own !== 'object' || Array.isArray(own)) return own;
  return withoutAliases(task, extra ? { ...extra, ...own } : own);
}

/** Ansible's alias names of args (`dest` for `path`) as the args' own names. */
function withoutAliases(task: TaskDefinition, args: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...args };
  for (const [alias, name] of Object.entries(task.aliases ?? {})) {
    if (!Object.hasOwn(out, alias)) continue;
    if (Object.hasOwn(out, name)) throw new ArgsTextError(`${task.name}: give ${name} or its alias ${alias}, not both`);
    out[name] = out[alias];
    delete out[alias];
  }
  return out;
}

function textArgs(task: TaskDefinition, text: string): Record<string, unknown> {
  let words;
  try {
    words = splitWords(text);
  } catch (e) {
    // A script with an odd quote (`# don't`) has no options to take out: it is all command.
    if (task.freeForm) return { [task.freeForm.arg]: text.trim() };
    throw new ArgsTextError(`${task.name}: ${(e as Error).message}`);
  }
  const free = task.freeForm;
  if (free) {
    // Only the options Ansible takes out of free-form text; the rest is the command, byte for byte.
    const args: Record<string, unknown> = {};
    let rest = '';
    let from = 0;
    for (const w of words) {
      const eq = w.word.indexOf('=');
      const key = eq > 0 ? w.word.slice(0, eq) : '';
      if (!free.inline.includes(key)) continue;
      rest += text.slice(from, w.col - 1);
      from = w.end;
      args[key] = w.word.slice(eq + 1);
    }
    rest = (rest + text.slice(from)).trim();
    if (rest) args[free.arg] = rest;
    return args;
  }
  const args: Record<string, unknown> = {};
  for (const w of words) {
    const eq = w.word.indexOf('=');
    if (eq <= 0) throw new ArgsTextError(`${task.name} takes key=value words here, and "${w.word}" is none (only tasks with a free-form argument, like command and shell, take plain text)`);
    args[w.word.slice(0, eq)] = kvValue(w.word.slice(eq + 1), w.quoted);
  }
  return args;
}
