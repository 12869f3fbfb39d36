// The arguments of particular modules in our tasks' terms: template and copy sources brought
// beside the runbook, unarchive's options, assert's bare expressions, include_vars' files and
// with_first_found; and the check that the result is what the task takes.

import type { Node } from 'yaml';
import type { TaskDefinition } from '../task/types.js';
import { hasTemplate } from '../load/step.js';
import { taskArgs } from '../load/task-args.js';
import { Untranslatable, conditionList, deep, list, text } from './translate.js';
import type { AnsibleFile } from './source.js';
import type { ConvertContext, TaskScope } from './task.js';

/** Module-specific: template and copy files brought beside the runbook; unarchive's options. */
export async function adaptArgs(
  taskName: string,
  module: string,
  args: unknown,
  extra: Record<string, unknown> | undefined,
  scope: TaskScope,
  ctx: ConvertContext,
  at: string,
): Promise<unknown> {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return args;
  const a = { ...extra, ...(args as Record<string, unknown>) };
  if (taskName === 'template' && typeof a['src'] === 'string') {
    if (a['src'].includes('{{')) throw new Untranslatable(at, 'a template whose src is known only when the play runs');
    a['src'] = await ctx.template(a['src'], scope, at);
  }
  if (taskName === 'copy' && typeof a['src'] === 'string' && !a['remote_src']) {
    if (a['src'].includes('{{')) throw new Untranslatable(at, 'copy of a src known only when the play runs');
    a['src'] = await ctx.file(a['src'], scope, at);
  }
  if (module === 'unarchive') {
    if (!a['remote_src'] && !/^https?:/.test(String(a['src']))) throw new Untranslatable(at, 'unarchive of a controller file: copy it to the host first (extract unpacks an archive on the host)');
    delete a['remote_src'];
    const opts = list(a['extra_opts']);
    delete a['extra_opts'];
    for (const opt of opts) {
      const strip = /^--strip-components=(\d+)$/.exec(opt);
      if (!strip) throw new Untranslatable(at, `unarchive's extra_opts "${opt}" is not translated (--strip-components=N is)`);
      a['strip_components'] = Number(strip[1]);
    }
  }
  return a;
}

/** assert's `that` holds bare Jinja expressions, ours templates that give a boolean; `msg` is fail_msg. */
export function assertArgs(value: unknown, file: AnsibleFile, node: Node | null, scope: TaskScope): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const { that, msg, ...rest } = value as Record<string, unknown>;
  const args: Record<string, unknown> = { ...(deep(rest, file, node, scope) as Record<string, unknown>) };
  if (msg !== undefined) args['fail_msg'] = deep(msg, file, node, scope);
  args['that'] = conditionList(that, file, node, scope).map((c) => `{{${c}}}`);
  return args;
}

/** include_vars' file, or with_first_found's files, brought beside the runbook (vars/<runbook>/...). */
export async function includeVarsArgs(value: unknown, firstFound: unknown, scope: TaskScope, ctx: ConvertContext, node: Node | null): Promise<Record<string, unknown>> {
  const { file } = scope;
  const at = file.at(node);
  const given: Record<string, unknown> = typeof value === 'string' ? { file: value } : value && typeof value === 'object' && !Array.isArray(value) ? { ...value } : {};
  const other = Object.keys(given).find((k) => k !== 'file' && k !== 'name');
  if (other) throw new Untranslatable(at, `include_vars' "${other}" is not translated (file, name and with_first_found are)`);
  const args: Record<string, unknown> = {};
  if (given['name'] !== undefined) args['name'] = given['name'];
  const name = given['file'];
  if (typeof name !== 'string') throw new Untranslatable(at, 'include_vars needs a file name');
  if (firstFound === undefined) {
    args['file'] = text(await ctx.varsFile(name, scope, at, true), file, node, scope);
    return args;
  }
  if (!/^\{\{\s*item\s*\}\}$/.test(name.trim())) throw new Untranslatable(at, 'with_first_found: include_vars must name "{{ item }}", the file found');
  const { names, skip } = firstFoundTerms(firstFound, at);
  const candidates: unknown[] = [];
  for (const n of names) candidates.push(text(await ctx.varsFile(n, scope, at, false), file, node, scope));
  args['first_found'] = candidates;
  if (skip) args['skip'] = true;
  return args;
}

/** The file names a with_first_found tries, in order: plain names, or `{files, paths, skip}` (each path with each file). */
function firstFoundTerms(value: unknown, at: string): { names: string[]; skip: boolean } {
  const names: string[] = [];
  let skip = false;
  for (const term of Array.isArray(value) ? value : [value]) {
    if (typeof term === 'string') {
      names.push(term);
      continue;
    }
    if (!term || typeof term !== 'object' || Array.isArray(term)) throw new Untranslatable(at, 'with_first_found takes file names, or a mapping of files, paths and skip');
    const { files, paths, skip: skipped, ...rest } = term as Record<string, unknown>;
    const other = Object.keys(rest)[0];
    if (other !== undefined) throw new Untranslatable(at, `with_first_found's "${other}" is not translated (files, paths and skip are)`);
    // Ansible splits text on these too: `files: a.yml,b.yml`.
    const split = (v: unknown, on: RegExp) => list(v).flatMap((x) => x.split(on)).filter(Boolean);
    const fileList = split(files, /[,;]/);
    const pathList = split(paths, /[,:;]/);
    names.push(...(pathList.length ? pathList.flatMap((p) => fileList.map((f) => `${p.replace(/\/+$/, '')}/${f}`)) : fileList));
    skip = skipped === true;
  }
  return { names, skip };
}

/** The args must be what the task takes; checked now when they hold no template (else per host at play). */
export function checkArgs(task: TaskDefinition, args: unknown, extra: Record<string, unknown> | undefined, at: string): void {
  const full = taskArgs(task, args, task.name === 'extract' || task.name === 'template' || task.name === 'copy' ? undefined : extra);
  if (hasTemplate(full)) return;
  const parsed = task.args.safeParse(full);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  throw new Untranslatable(at, `${task.name}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
}

