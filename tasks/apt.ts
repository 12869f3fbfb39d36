// apt: Debian packages. `check` reads dpkg's database and asks `apt-get -s` (a simulation, no
// root, no lock, no change) what an install/remove/upgrade would do, so --check is exact about
// dependencies too. `apply` snapshots dpkg's package list before and after the change: the undo
// record is the difference, i.e. exactly the packages that were newly installed or removed.

import { defineTask, z, sh, raw, TaskError, type CheckResult, type HostShell, type ShellText } from 'runbook';

// Debian policy package names (plus an optional :arch) and versions; anything else is refused at
// plan time, before it could reach a command line.
const packageSpec = z
  .string()
  .regex(/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:_-]+)?$/, 'expected a Debian package name, optionally name=version');

export const aptArgs = z.strictObject({
  name: z.union([packageSpec, z.array(packageSpec)]).optional().describe('A package or a list of packages, optionally pinned: name=version.'),
  state: z.enum(['present', 'absent', 'latest']).default('present').describe('present: installed (any version unless pinned); latest: upgraded to the newest; absent: removed.'),
  update_cache: z.boolean().default(false).describe('Run apt-get update first.'),
  cache_valid_time: z.number().int().positive().optional().describe('With update_cache: skip the update when the package index is younger than this many seconds.'),
  upgrade: z
    // Ansible's `upgrade: no` and `upgrade: yes` (booleans in its YAML) mean no and safe.
    .preprocess((v) => (v === false ? 'no' : v === true ? 'safe' : v), z.enum(['no', 'safe', 'full']))
    .default('no')
    .describe('safe (or yes): apt-get upgrade; full: apt-get dist-upgrade; no: neither.'),
});
export type AptArgs = z.output<typeof aptArgs>;

export interface PackageChange {
  name: string;
  /** Version before (absent for a new install). */
  from?: string;
  /** Version after (absent for a removal). */
  to?: string;
}

export interface Simulation {
  installs: PackageChange[];
  upgrades: PackageChange[];
  removals: PackageChange[];
}

export interface AptObserved {
  update: boolean;
  /** Words for `apt-get install` (name or name=version). */
  install: string[];
  remove: string[];
  upgrade: 'no' | 'safe' | 'full';
}

export interface AptUndo {
  /** Packages the step installed; `purge` when dpkg had no trace of them before. */
  installed: Array<{ name: string; purge: boolean }>;
  /** Packages the step removed, with the version to reinstall. */
  removed: Array<{ name: string; version: string }>;
}

/** Parses `apt-get -s` output: `Inst name [old] (new ...)`, `Remv name [old]`. */
export function parseSimulation(text: string): Simulation {
  const sim: Simulation = { installs: [], upgrades: [], removals: [] };
  for (const line of text.split('\n')) {
    let m = /^Inst (\S+) (?:\[(\S+)\] )?\((\S+)/.exec(line);
    if (m) {
      if (m[2]) sim.upgrades.push({ name: m[1], from: m[2], to: m[3] });
      else sim.installs.push({ name: m[1], to: m[3] });
      continue;
    }
    m = /^Remv (\S+)(?: \[(\S+)\])?/.exec(line);
    if (m) sim.removals.push({ name: m[1], ...(m[2] ? { from: m[2] } : {}) });
  }
  return sim;
}

export interface DpkgEntry {
  status: string;
  version: string;
}

/** Parses `dpkg-query -W -f='${Package}:${Architecture}\t${db:Status-Status}\t${Version}\n'`. */
export function parseDpkgList(text: string): Map<string, DpkgEntry> {
  const out = new Map<string, DpkgEntry>();
  for (const line of text.split('\n')) {
    const [name, status, version] = line.split('\t');
    if (name && status) out.set(name, { status, version: version ?? '' });
  }
  return out;
}

/** What a change did, from dpkg's list before and after it. */
export function diffDpkgLists(before: Map<string, DpkgEntry>, after: Map<string, DpkgEntry>): AptUndo & { upgraded: PackageChange[] } {
  const installed: AptUndo['installed'] = [];
  const removed: AptUndo['removed'] = [];
  const upgraded: PackageChange[] = [];
  for (const [name, now] of after) {
    const was = before.get(name);
    if (now.status === 'installed' && was?.status !== 'installed') installed.push({ name, purge: was === undefined || was.status === 'not-installed' });
    else if (now.status === 'installed' && was && was.version !== now.version) upgraded.push({ name, from: was.version, to: now.version });
  }
  for (const [name, was] of before) {
    if (was.status === 'installed' && after.get(name)?.status !== 'installed') removed.push({ name, version: was.version });
  }
  return { installed, removed, upgraded };
}

/** Age of the package lists in seconds, from `@@cache now stamp listsMtime`. */
export function cacheAge(now: number, stamp: number, lists: number): number {
  return now - Math.max(stamp, lists);
}

const DPKG_LIST = raw(`dpkg-query -W -f='\${Package}:\${Architecture}\\t\${db:Status-Status}\\t\${Version}\\n'`);
const APT_OPTS = raw('-y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold');
const STAMP = '/var/lib/apt/periodic/update-success-stamp';

function names(args: AptArgs): string[] {
  return args.name === undefined ? [] : Array.isArray(args.name) ? args.name : [args.name];
}

function bare(spec: string): string {
  return spec.split('=')[0];
}

/**
 * The probe, one sh script: cache age, then for each wanted package whether it needs work (set
 * into "$@", so the simulation sees only those), then the simulations.
 */
export function aptProbe(args: AptArgs): ShellText {
  const specs = names(args);
  const needs =
    args.state === 'absent'
      ? raw('[ "${cur%% *}" = installed ]')
      : args.state === 'latest'
        ? raw('true')
        : raw('[ "${cur%% *}" != installed ] || { [ -n "$v" ] && [ "$cur" != "installed $v" ]; }');
  const simulate =
    args.state === 'absent' ? raw('apt-get -s remove "$@"') : raw('apt-get -s install "$@"');
  const upgrade = args.upgrade === 'full' ? raw('apt-get -s dist-upgrade') : raw('apt-get -s upgrade --with-new-pkgs');
  return sh`export LC_ALL=C
echo "@@cache $(date +%s) $(stat -c %Y ${STAMP} 2>/dev/null || echo 0) $(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0)"
set --
for p in ${specs.length ? specs : raw('')}; do
  n=\${p%%=*}; v=\${p#"$n"}; v=\${v#=}
  cur=$(dpkg-query -W -f='\${db:Status-Status} \${Version}' -- "$n" 2>/dev/null) || cur=
  if ${needs}; then set -- "$@" "$p"; fi
done
echo "@@needed $#"
if [ $# -gt 0 ]; then echo "@@section packages"; ${simulate} 2>&1; echo "@@rc $?"; fi
${args.upgrade !== 'no' ? sh`echo "@@section upgrade"; ${upgrade} 2>&1; echo "@@rc $?"` : raw('')}
for p in "$@"; do echo "@@want $p"; done
`;
}

interface Section {
  output: string;
  rc: number;
}

function parseCheckOutput(text: string): { cache: number[]; wanted: string[]; sections: Map<string, Section> } {
  const sections = new Map<string, Section>();
  const wanted: string[] = [];
  let cache = [0, 0, 0];
  let current: { name: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('@@cache ')) cache = line.slice(8).split(' ').map(Number);
    else if (line.startsWith('@@section ')) current = { name: line.slice(10), lines: [] };
    else if (line.startsWith('@@rc ') && current) {
      sections.set(current.name, { output: current.lines.join('\n'), rc: Number(line.slice(5)) });
      current = undefined;
    } else if (line.startsWith('@@want ')) wanted.push(line.slice(7));
    else if (current) current.lines.push(line);
  }
  return { cache, wanted, sections };
}

function aptError(section: Section, what: string): TaskError {
  const errors = section.output.split('\n').filter((l) => l.startsWith('E: '));
  return new TaskError(`apt-get cannot ${what}: ${(errors.length ? errors : section.output.split('\n').slice(-3)).join(' ')}`, {
    hint: 'check the package names and versions (apt-cache policy <name>), or add update_cache: true',
  });
}

export function checkApt(args: AptArgs, probed: string): CheckResult<AptObserved, AptUndo> {
  const { cache, wanted, sections } = parseCheckOutput(probed);
  const age = cacheAge(cache[0], cache[1], cache[2]);
  const update = args.update_cache && (args.cache_valid_time === undefined || age > args.cache_valid_time);
  const observed: AptObserved = { update, install: [], remove: [], upgrade: 'no' };
  const parts: string[] = [];
  const predicted: AptUndo = { installed: [], removed: [] };
  const newPackages: string[] = [];

  const packages = sections.get('packages');
  if (packages) {
    if (packages.rc !== 0 && !update) throw aptError(packages, args.state === 'absent' ? 'remove' : 'install');
    const sim = parseSimulation(packages.output);
    if (args.state === 'absent') {
      observed.remove = wanted.map(bare);
      predicted.removed = sim.removals.map((p) => ({ name: p.name, version: p.from ?? '' }));
      parts.push(`remove ${sim.removals.map((p) => p.name).join(', ') || observed.remove.join(', ')}`);
    } else if (packages.rc !== 0) {
      // The lists are stale or empty; only the update will tell what the install pulls in.
      observed.install = wanted;
      parts.push(`install ${wanted.join(', ')} (dependencies known after the cache update)`);
    } else if (sim.installs.length || sim.upgrades.length || sim.removals.length) {
      observed.install = wanted;
      predicted.installed = sim.installs.map((p) => ({ name: p.name, purge: true }));
      newPackages.push(...sim.installs.map((p) => p.name));
      if (sim.installs.length) parts.push(`install ${sim.installs.map((p) => p.name).join(', ')}`);
      if (sim.upgrades.length) parts.push(`upgrade ${sim.upgrades.map((p) => p.name).join(', ')}`);
      if (sim.removals.length) parts.push(`remove ${sim.removals.map((p) => p.name).join(', ')}`);
    }
  }
  const upgrade = sections.get('upgrade');
  if (upgrade) {
    if (upgrade.rc !== 0 && !update) throw aptError(upgrade, 'upgrade');
    const sim = parseSimulation(upgrade.output);
    if (sim.installs.length || sim.upgrades.length || sim.removals.length || update) {
      observed.upgrade = args.upgrade;
      predicted.installed.push(...sim.installs.map((p) => ({ name: p.name, purge: true })));
      parts.push(`${args.upgrade} upgrade of ${sim.upgrades.length} packages${sim.installs.length ? `, ${sim.installs.length} new` : ''}${sim.removals.length ? `, ${sim.removals.length} removed` : ''}`);
    }
  }
  // The limit, not the age: the age grows by the second, and --check must say what apply will.
  if (update) parts.unshift(`update the package cache${args.cache_valid_time !== undefined && age < 1e9 ? ` (older than cache_valid_time ${args.cache_valid_time}s)` : ''}`);
  const inSync = !update && observed.install.length === 0 && observed.remove.length === 0 && observed.upgrade === 'no';
  return {
    inSync,
    observed,
    undo: predicted,
    summary: inSync ? undefined : parts.join('; '),
    data: { installed: [], removed: [], upgraded: [], would_install: newPackages, cache_updated: false },
  };
}

export async function applyApt(shell: HostShell, observed: AptObserved): Promise<{ undo: AptUndo; data: Record<string, unknown> }> {
  const steps: ShellText[] = [];
  if (observed.update) steps.push(sh`apt-get -o DPkg::Lock::Timeout=300 update >&2 && mkdir -p /var/lib/apt/periodic && touch ${STAMP}`);
  if (observed.upgrade === 'safe') steps.push(sh`apt-get ${APT_OPTS} upgrade --with-new-pkgs >&2`);
  if (observed.upgrade === 'full') steps.push(sh`apt-get ${APT_OPTS} dist-upgrade >&2`);
  if (observed.install.length) steps.push(sh`apt-get ${APT_OPTS} install ${observed.install} >&2`);
  if (observed.remove.length) steps.push(sh`apt-get ${APT_OPTS} remove ${observed.remove} >&2`);
  const r = await shell.run(sh`set -e
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
echo @@before; ${DPKG_LIST}
${raw(steps.map((s) => s.text).join('\n'))}
echo @@after; ${DPKG_LIST}`);
  const [, before = '', after = ''] = r.stdout.split(/^@@(?:before|after)$/m);
  const change = diffDpkgLists(parseDpkgList(before), parseDpkgList(after));
  return {
    undo: { installed: change.installed, removed: change.removed },
    data: {
      installed: change.installed.map((p) => p.name),
      removed: change.removed.map((p) => p.name),
      upgraded: change.upgraded.map((p) => p.name),
      cache_updated: observed.update,
    },
  };
}

/**
 * Removes exactly the packages the step installed (purged when they left no trace before) and
 * reinstalls the ones it removed. No autoremove: the record already names every dependency the
 * step pulled in, and autoremove would also take packages that were orphaned before the run.
 */
export async function undoApt(shell: HostShell, record: AptUndo): Promise<void> {
  const purge = record.installed.filter((p) => p.purge).map((p) => p.name);
  const remove = record.installed.filter((p) => !p.purge).map((p) => p.name);
  const steps: ShellText[] = [];
  // Only what is still installed: someone may have removed a package since.
  const installedOnly = raw(`for p in "$@"; do [ "$(dpkg-query -W -f='\${db:Status-Status}' -- "$p" 2>/dev/null)" = installed ] && printf '%s\\n' "$p"; done`);
  if (purge.length) steps.push(sh`set -- ${purge}; l=$(${installedOnly}); [ -z "$l" ] || apt-get ${APT_OPTS} purge $l >&2`);
  if (remove.length) steps.push(sh`set -- ${remove}; l=$(${installedOnly}); [ -z "$l" ] || apt-get ${APT_OPTS} remove $l >&2`);
  for (const p of record.removed) {
    steps.push(sh`apt-get ${APT_OPTS} install ${`${p.name}=${p.version}`} >&2 || apt-get ${APT_OPTS} install ${p.name} >&2`);
  }
  if (!steps.length) return;
  await shell.run(sh`set -e
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
${raw(steps.map((s) => s.text).join('\n'))}`);
}

export default defineTask<typeof aptArgs, AptObserved, AptUndo>({
  name: 'apt',
  description: 'Install, upgrade or remove Debian packages; update the package cache',
  doc: `Manages Debian packages with apt-get, noninteractively, waiting up to 5 minutes for the dpkg lock.

- \`name\`: a package or a list; \`name=version\` pins a version.
- \`state\`: \`present\` (default: install when missing), \`latest\` (install or upgrade), \`absent\` (remove).
- \`update_cache\`: run \`apt-get update\` first; with \`cache_valid_time\` (seconds) only when the
  lists are older than that (judged from /var/lib/apt/periodic/update-success-stamp, which the task
  touches after each update, or the mtime of /var/lib/apt/lists). Without \`cache_valid_time\` the
  cache is updated on every run, so the step always reports a change.
- \`upgrade\`: \`safe\` (\`apt-get upgrade --with-new-pkgs\`: never removes), \`full\` (\`dist-upgrade\`), \`no\`.

\`--check\` asks \`apt-get -s\` (a simulation) and reports exactly which packages, dependencies
included, would be installed. \`register\` gets \`installed\`, \`removed\`, \`upgraded\` (package lists)
and \`cache_updated\`.

Undo removes exactly the packages the step newly installed (dependencies included; packages that
were already there or were only upgraded are kept, upgrades are not downgraded) and reinstalls the
packages it removed. It does not run \`apt-get autoremove\`: that would also remove packages that
were orphaned before the run.

\`\`\`yaml
- name: Install the basics
  apt:
    name: [openssh-server, curl]
    update_cache: true
    cache_valid_time: 3600
  become: true
\`\`\``,
  args: aptArgs,
  aliases: { package: 'name', pkg: 'name' },
  probe: ({ args }) => aptProbe(args),
  check: async (ctx, probed) => checkApt(ctx.args, probed),
  apply: (ctx, observed) => applyApt(ctx.shell, observed!),
  undo: (ctx, record) => undoApt(ctx.shell, record),
});
