// `runbook convert`: an Ansible playbook, or a role directory, as runbooks. A playbook becomes one
// runbook (each play's steps on its hosts); each role it names becomes a runbook of its own,
// included where the role was (defaults and vars as its vars, handlers, templates translated to
// handlebars, files copied). Nothing is dropped without a word: what cannot be translated is a
// failing step and an entry in the list returned; what is kept in another form is a note.
// Over 300 lines for a reason: the Converter is the one context the task translator (task.ts)
// calls back into for what a task brings along (templates, files, vars files, roles), and they all
// write to the same set of output files and notes; a task's own translation is in task.ts and
// module-args.ts, Jinja in jinja*.ts.

import { existsSync, statSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { isMap, isSeq, parseDocument, stringify, type Node } from 'yaml';
import { UserError } from '../errors.js';
import { possibleFiles } from '../sdk/possible-files.js';
import { isVaulted } from '../vault/format.js';
import type { TaskRegistry } from '../task/registry.js';
import { FACTS_VAR, JinjaError } from './jinja.js';
import { translateText } from './jinja-text.js';
import { child, entries, plain, readAnsibleYaml, type AnsibleFile, type Untranslated } from './source.js';
import { convertTasks, failStep, type ConvertContext, type EmittedStep, type TaskScope } from './task.js';
import { Untranslatable, deep } from './translate.js';
import { runbookYaml } from './emit.js';

export interface Conversion {
  /** Files to write, by path relative to the output directory; null: a directory. */
  files: Map<string, string | Buffer | null>;
  /** The runbook to play, relative to the output directory. */
  main: string;
  untranslated: Untranslated[];
  notes: Untranslated[];
}

const PLAY_KEYS = new Set(['name', 'hosts', 'become', 'become_user', 'vars', 'vars_files', 'gather_facts', 'pre_tasks', 'roles', 'tasks', 'post_tasks', 'handlers', 'tags', 'connection']);

export async function convertAnsible(source: string, registry: TaskRegistry, cwd: string): Promise<Conversion> {
  // Any Ansible module may map to any of our tasks.
  await registry.load(registry.keys());
  const converter = new Converter(registry, cwd);
  const isRole = existsSync(source) && statSync(source).isDirectory();
  if (isRole) {
    converter.rolesDirs.push(dirname(source));
    return converter.done(await converter.role(basename(source), source));
  }
  converter.rolesDirs.push(join(dirname(source), 'roles'));
  return converter.done(await converter.playbook(source));
}

class Converter implements ConvertContext {
  readonly files = new Map<string, string | Buffer | null>();
  readonly untranslated: Untranslated[] = [];
  readonly notes: Untranslated[] = [];
  readonly rolesDirs: string[] = [];
  private readonly roles = new Map<string, string>();

  constructor(
    readonly registry: TaskRegistry,
    private readonly cwd: string,
  ) {}

  done(main: string): Conversion {
    return { files: this.files, main: main.replace(/^\.\//, ''), untranslated: this.untranslated, notes: this.notes };
  }

  async playbook(path: string): Promise<string> {
    const file = await readAnsibleYaml(path, this.cwd);
    const name = basename(path, extname(path));
    if (!isSeq(file.root)) throw new UserError('schema', `${file.at(file.root)}: a playbook is a list of plays`);
    const plays = file.root.items as Node[];
    const vars: Record<string, unknown> = {};
    const steps: EmittedStep[] = [];
    const handlers: EmittedStep[] = [];
    const patterns = plays.map((play) => hostPattern(plain(child(play, 'hosts'))));
    const single = new Set(patterns).size === 1;
    for (const [n, play] of plays.entries()) {
      const facts = { used: false };
      const scope: TaskScope = { file, facts, runbook: name, when: [], tags: names(plain(child(play, 'tags'))) };
      const become = plain(child(play, 'become'));
      const becomeUser = plain(child(play, 'become_user'));
      if (typeof become === 'boolean') scope.become = become;
      if (typeof becomeUser === 'string') scope.becomeUser = becomeUser;
      const own: EmittedStep[] = [];
      for (const e of entries(play)) {
        if (e.key === 'connection') this.notes.push({ at: file.at(e.keyNode), message: `connection: ${String(plain(e.value))}: runbook reaches the inventory's hosts over SSH (without an inventory: this machine)` });
        else if (!PLAY_KEYS.has(e.key)) this.fail(own, file, e.keyNode, `the play keyword "${e.key}" has no runbook counterpart`);
      }
      this.mergeVars(vars, plain(child(play, 'vars')), file, child(play, 'vars'), scope);
      for (const varsFile of names(plain(child(play, 'vars_files')))) {
        if (varsFile.includes('{{')) {
          this.fail(own, file, child(play, 'vars_files'), `vars_files "${varsFile}" is known only when the play runs`);
          continue;
        }
        const loaded = await readAnsibleYaml(join(dirname(path), varsFile), this.cwd);
        this.notes.push({ at: file.at(child(play, 'vars_files')), message: `vars_files ${varsFile}: its vars are the runbook's var defaults (-e and the inventory override them)` });
        this.mergeVars(vars, plain(loaded.root), loaded, loaded.root, scope);
      }
      const sections: EmittedStep[][] = [await convertTasks(child(play, 'pre_tasks'), scope, this), await this.playRoles(child(play, 'roles'), scope, file), await convertTasks(child(play, 'tasks'), scope, this), await convertTasks(child(play, 'post_tasks'), scope, this)];
      const nonEmpty = sections.filter((s) => s.some(isStep));
      // Ansible runs the handlers notified so far after pre_tasks, after roles and tasks, and at the end of each play.
      nonEmpty.forEach((section, i) => {
        own.push(...section);
        if (i < nonEmpty.length - 1 && section === sections[0]) own.push({ step: { flush_handlers: true } });
      });
      if (facts.used) own.unshift(factsStep());
      if (n < plays.length - 1) own.push({ step: { flush_handlers: true } });
      if (!single) own.forEach((e) => onHosts(e, patterns[n]));
      steps.push(...own);
      handlers.push(...(await convertTasks(child(play, 'handlers'), scope, this)));
    }
    const header: Record<string, unknown> = { name, description: `Converted by runbook convert from ${relative(this.cwd, path) || path}` };
    if (single) header['hosts'] = patterns[0];
    this.files.set(`${name}.yaml`, runbookYaml(header, vars, steps, handlers));
    return `${name}.yaml`;
  }

  private async playRoles(node: Node | null, scope: TaskScope, file: AnsibleFile): Promise<EmittedStep[]> {
    if (!isSeq(node)) return [];
    const steps: EmittedStep[] = [];
    for (const item of node.items as Node[]) {
      const value = plain(item);
      const name = typeof value === 'string' ? value : (value as Record<string, unknown>)?.['role'] ?? (value as Record<string, unknown>)?.['name'];
      if (typeof name !== 'string' || name.includes('{{')) {
        this.fail(steps, file, item, 'a role without a plain name');
        continue;
      }
      try {
        const step: Record<string, unknown> = { include: await this.role(name, file.at(item)) };
        if (value && typeof value === 'object') {
          const { role: _role, name: _name, vars: roleVars, when, tags, ...params } = value as Record<string, unknown>;
          const roleParams = { ...params, ...(roleVars as Record<string, unknown> | undefined) };
          if (Object.keys(roleParams).length > 0) step['vars'] = deep(roleParams, file, item, scope);
          if (when !== undefined) this.notes.push({ at: file.at(item), message: 'a role with when: translate the condition by hand if it reads more than vars' });
          if (when !== undefined) step['when'] = when;
          if (tags !== undefined) step['tags'] = names(tags);
        }
        if (scope.tags.length > 0) step['tags'] = [...new Set([...scope.tags, ...names(step['tags'])])];
        steps.push({ step });
      } catch (e) {
        if (!(e instanceof Untranslatable)) throw e;
        this.fail(steps, file, item, e.message);
      }
    }
    return steps;
  }

  async role(name: string, at: string): Promise<string> {
    const known = this.roles.get(name);
    if (known) return known;
    const dir = this.rolesDirs.map((d) => join(d, name)).find((d) => existsSync(join(d, 'tasks')));
    if (!dir) throw new Untranslatable(at, `no role "${name}" (looked for ${this.rolesDirs.map((d) => relative(this.cwd, join(d, name)) || '.').join(', ')} with a tasks/ directory)`);
    const ref = `./${name}.yaml`;
    this.roles.set(name, ref);
    const part = async (sub: string) => {
      const path = ['main.yml', 'main.yaml'].map((f) => join(dir, sub, f)).find(existsSync);
      return path ? readAnsibleYaml(path, this.cwd) : undefined;
    };
    const [tasks, handlers, defaults, vars, meta] = await Promise.all(['tasks', 'handlers', 'defaults', 'vars', 'meta'].map(part));
    const facts = { used: false };
    const scope = (file: AnsibleFile): TaskScope => ({ file, facts, roleDir: dir, runbook: name, when: [], tags: [] });
    const runbookVars: Record<string, unknown> = {};
    if (defaults) this.mergeVars(runbookVars, plain(defaults.root), defaults, defaults.root, scope(defaults));
    if (vars) {
      this.notes.push({ at: vars.at(vars.root), message: `role vars are the runbook's var defaults: the inventory and -e override them (in Ansible, role vars override the inventory)` });
      this.mergeVars(runbookVars, plain(vars.root), vars, vars.root, scope(vars), true);
    }
    const steps: EmittedStep[] = [];
    const dependencies = names(plain(child(meta?.root, 'dependencies')));
    for (const dep of dependencies) {
      try {
        steps.push({ step: { include: await this.role(typeof dep === 'string' ? dep : String(dep), meta!.at(meta!.root)) } });
      } catch (e) {
        if (!(e instanceof Untranslatable)) throw e;
        this.fail(steps, meta!, child(meta!.root, 'dependencies'), e.message);
      }
    }
    if (tasks) steps.push(...(await convertTasks(tasks.root, scope(tasks), this)));
    const handlerSteps = handlers ? await convertTasks(handlers.root, scope(handlers), this) : [];
    if (facts.used) steps.unshift(factsStep());
    this.files.set(`${name}.yaml`, runbookYaml({ name, description: `Converted by runbook convert from the role ${relative(this.cwd, dir) || dir}` }, runbookVars, steps, handlerSteps));
    return ref;
  }

  async template(src: string, scope: TaskScope, at: string): Promise<string> {
    const path = this.find(src, scope, 'templates', at);
    const text = await readFile(path, 'utf8');
    let translated;
    try {
      translated = translateText(text, { file: true });
    } catch (e) {
      if (!(e instanceof JinjaError)) throw e;
      const before = text.slice(0, e.offset);
      const line = before.split('\n').length;
      const col = e.offset - before.lastIndexOf('\n');
      throw new Untranslatable(`${relative(this.cwd, path) || path}:${line}:${col}`, `in the template: ${e.message}`);
    }
    scope.facts.used ||= translated.usesFacts;
    const out = `templates/${scope.runbook}/${src.replace(/\.j2$/, '')}.hbs`;
    this.files.set(out, translated.text);
    return out;
  }

  async file(src: string, scope: TaskScope, at: string): Promise<string> {
    const path = this.find(src, scope, 'files', at, true);
    const out = `files/${scope.runbook}/${src.replace(/\/+$/, '')}`;
    if (!statSync(path).isDirectory()) this.files.set(out, await readFile(path));
    else {
      const entries = await readdir(path, { recursive: true, withFileTypes: true });
      // As the copy task does: files and directories only, never what a link leads to.
      const other = entries.find((e) => !e.isFile() && !e.isDirectory());
      if (other) throw new Untranslatable(at, `${relative(this.cwd, join(other.parentPath ?? other.path, other.name))} is neither a file nor a directory: a directory copy takes files only`);
      this.files.set(out, null);
      const rels = entries.map((e) => ({ rel: relative(path, join(e.parentPath ?? e.path, e.name)), dir: e.isDirectory() })).sort((x, y) => x.rel.localeCompare(y.rel));
      for (const { rel, dir } of rels) this.files.set(`${out}/${rel}`, dir ? null : await readFile(join(path, rel)));
    }
    // A trailing slash (the directory's contents, not the directory) means the same in our copy.
    return src.endsWith('/') ? `${out}/` : out;
  }

  async varsFile(name: string, scope: TaskScope, at: string, required: boolean): Promise<string> {
    if (name.startsWith('/') || name.split('/').includes('..')) throw new Untranslatable(at, `vars file "${name}" is outside the playbook: copy it beside the playbook first`);
    if (/\{[%#]/.test(name)) throw new Untranslatable(at, `vars file "${name}": only {{ }} is translated in a file name`);
    // Each name the template may render to, from the first place Ansible looks that has it.
    const found = new Map<string, string>();
    const dirs = searchDirs(scope, 'vars');
    for (const dir of dirs) {
      for (const path of possibleFiles(name, dir)) {
        // A templated name matches the tasks files beside it too: only a mapping (or a vault) is a vars file.
        if (!found.has(relative(dir, path)) && (await isVarsFile(path))) found.set(relative(dir, path), path);
      }
    }
    if (found.size === 0 && required) throw new Untranslatable(at, `no vars file "${name}" (looked in ${dirs.map((d) => relative(this.cwd, d) || '.').join(', ')})`);
    for (const [rel, path] of found) await this.copyVars(path, `vars/${scope.runbook}/${rel}`, scope);
    return `vars/${scope.runbook}/${name}`;
  }

  /** A vars file beside the runbook, its Jinja translated; a vaulted one as it is (its values cannot be read). */
  private async copyVars(path: string, out: string, scope: TaskScope): Promise<void> {
    if (this.files.has(out)) return;
    const bytes = await readFile(path);
    if (isVaulted(bytes.toString('utf8'))) {
      this.notes.push({ at: relative(this.cwd, path), message: 'a vaulted vars file is copied as it is: its Jinja, if any, is not translated' });
      this.files.set(out, bytes);
      return;
    }
    const file = await readAnsibleYaml(path, this.cwd);
    const values: Record<string, unknown> = {};
    this.mergeVars(values, plain(file.root), file, file.root, { ...scope, file });
    this.files.set(out, `# Converted by runbook convert from ${relative(this.cwd, path)}\n${stringify(values)}`);
  }

  /** Where Ansible looks for a relative src: the role's templates/ (or files/), then beside the tasks file. */
  private find(src: string, scope: TaskScope, sub: string, at: string, directories = false): string {
    if (src.startsWith('/') || src.split('/').includes('..')) throw new Untranslatable(at, `src "${src}" is outside the playbook: copy it beside the playbook first`);
    const candidates = searchDirs(scope, sub).map((dir) => join(dir, src));
    const found = candidates.find((c) => existsSync(c) && (statSync(c).isFile() || (directories && statSync(c).isDirectory())));
    if (!found) throw new Untranslatable(at, `no file "${src}" (looked in ${candidates.map((c) => relative(this.cwd, c)).join(', ')})`);
    return found;
  }

  private mergeVars(into: Record<string, unknown>, values: unknown, file: AnsibleFile, node: Node | null, scope: TaskScope, override = false): void {
    if (values === null || values === undefined) return;
    if (typeof values !== 'object' || Array.isArray(values)) {
      this.untranslated.push({ at: file.at(node), message: 'vars must be a mapping' });
      return;
    }
    for (const [key, value] of Object.entries(values)) {
      let translated: unknown;
      try {
        translated = deep(value, file, node, scope);
      } catch (e) {
        if (!(e instanceof Untranslatable)) throw e;
        this.untranslated.push({ at: e.at, message: `var ${key}: ${e.message} (left as it was)` });
        translated = value;
      }
      if (key in into && JSON.stringify(into[key]) !== JSON.stringify(translated) && !override) {
        this.notes.push({ at: file.at(node), message: `var ${key} is set by two plays: the runbook keeps the first value` });
        continue;
      }
      into[key] = translated;
    }
  }

  private fail(steps: EmittedStep[], file: AnsibleFile, node: Node | null, message: string): void {
    const at = file.at(node);
    this.untranslated.push({ at, message });
    steps.push(failStep(at, message, undefined));
  }
}

async function isVarsFile(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8');
  if (isVaulted(text)) return true;
  const doc = parseDocument(text);
  return doc.errors.length === 0 && (doc.contents === null || isMap(doc.contents));
}

/** A step, not a comment alone. */
const isStep = (e: EmittedStep) => Object.keys(e.step).length > 0 || e.parts !== undefined;

/** The play's hosts on a step, or on each step of a block (a block names no hosts). */
function onHosts(e: EmittedStep, pattern: string): void {
  if (e.parts) Object.values(e.parts).forEach((steps) => steps.forEach((s) => onHosts(s, pattern)));
  else if (isStep(e) && !('flush_handlers' in e.step)) e.step['hosts'] = pattern;
}

/** Where Ansible looks for a relative file of kind `sub` (templates, files, vars): the role's, then beside the tasks file. */
function searchDirs(scope: TaskScope, sub: string): string[] {
  const base = dirname(scope.file.path);
  return [...(scope.roleDir ? [join(scope.roleDir, sub), scope.roleDir] : []), join(base, sub), base];
}

/** The strings of a value that may be one or a list; a role entry (`{role: x}`) by its name. */
const names = (v: unknown): string[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : (x as Record<string, unknown>)?.['role'] as string) ?? String(x)) : [String(v)]);

function hostPattern(hosts: unknown): string {
  if (Array.isArray(hosts)) return hosts.map(String).join(':');
  return hosts === null || hosts === undefined ? 'all' : String(hosts).replace(/\s*,\s*/g, ':');
}

function factsStep(): EmittedStep {
  return { step: { name: "Gather facts (Ansible's gather_facts)", facts: null, register: FACTS_VAR } };
}
