// Moving a service to another release in place: its install link (`/home/kafka/kafka`) is pointed
// at another release directory while the unit is stopped, data untouched. Which release a running
// unit really uses is read from the jar its main process holds open, not from the link: the link
// may have been switched under a process that still runs the old release (a run killed between
// the switch and the start, or someone's hand).

import { posix } from 'node:path';
import { z } from 'zod';
import { sh, type ShellText } from '../shell/quote.js';
import type { HostShell } from '../transport/host.js';
import type { UnitRestartState } from './restart.js';
import { TaskError } from '../errors.js';
import { applyLink, checkLink, linkProbe } from './link.js';
import { SECTION_FUNCTION, splitSections } from './probe.js';

export interface InstallSwitch {
  /** The install link the unit starts from (`/home/kafka/kafka`). */
  link: string;
  /** The release directory it should point at. */
  release: string;
  unit: string;
  /** A sed regex for the tail of a jar path that names the release directory before it (`/libs/kafka-clients-[^/]*\.jar`). */
  jarTail: string;
}

export interface InstallState {
  /** The link's target, resolved; '' when there is no link. */
  linked: string;
  /** The release, resolved; '' when it does not exist. */
  wanted: string;
  /** The release directory the unit's main process runs from; '' when it does not run or it cannot be told. */
  running: string;
}

/** A script section `install` that parseInstall reads (root: other users' /proc/<pid>/fd). */
export function installProbe(s: InstallSwitch): ShellText {
  return sh`${SECTION_FUNCTION}rb_section install
if [ -L ${s.link} ]; then printf 'linked=%s\\n' "$(readlink -f -- ${s.link})"; fi
if [ -d ${s.release} ]; then printf 'wanted=%s\\n' "$(cd -P -- ${s.release} && pwd -P)"; fi
pid=$(systemctl show -p MainPID --value -- ${s.unit} 2>/dev/null)
if [ "\${pid:-0}" -gt 0 ] 2>/dev/null; then
  printf 'running=%s\\n' "$(for f in /proc/"$pid"/fd/*; do readlink "$f"; done 2>/dev/null | sed -n ${`s#${s.jarTail}$##p`} | head -n 1)"
fi`;
}

export function parseInstall(out: string): InstallState {
  const kv = new Map<string, string>();
  for (const line of (splitSections(out).get('install') ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  return { linked: kv.get('linked') ?? '', wanted: kv.get('wanted') ?? '', running: kv.get('running') ?? '' };
}

/**
 * The install's state. A release that is not there is an error, except under --check, where an
 * earlier step would have put it there (it then counts as not linked and not running).
 */
export async function probeInstall(shell: HostShell, s: InstallSwitch, checkMode = false): Promise<InstallState> {
  return installFound((await shell.run(installProbe(s))).stdout, s, checkMode);
}

/** probeInstall's rule, on what installProbe printed (a rolling task's probe holds it). */
export function installFound(probed: string, s: InstallSwitch, checkMode: boolean): InstallState {
  const state = parseInstall(probed);
  if (!state.wanted && !checkMode) {
    throw new TaskError(`cannot switch ${s.link} to ${s.release}: no such directory`, { hint: 'install the release first (download and extract it beside the running one)' });
  }
  return { ...state, wanted: state.wanted || s.release };
}

/**
 * Points the link at the release (atomically, as the symlink task does); returns the target it
 * had, as written, for the way back. Refuses a real directory at the link: data may be in it.
 */
export async function switchInstall(shell: HostShell, link: string, release: string): Promise<string | undefined> {
  const found = await checkLink(shell, (await shell.run(linkProbe(link))).stdout, { src: release, dest: link, force: false });
  const previous = found.undo?.type === 'link' ? found.undo.target : undefined;
  if (!found.inSync) await applyLink(shell, found.observed!);
  return previous;
}

/** A config file inside an install, as `carryFile` takes it: relative, never leaving the install. */
export const installFileArg = z
  .string()
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'a path inside the install, like config/server.properties')
  .refine((p) => !p.split('/').some((part) => part === '..' || part === '.'), 'a path inside the install, without . or .. parts');

/**
 * Copies `relative` (a config file) from the release the link points at into `release`: a
 * service's settings go with it, where the new release has only Apache's sample. Read without
 * following a link at the file (the directories belong to the service user), written as every
 * file is (atomic, never through a link). A file the new release has keeps its owner and mode;
 * one it lacks (an instance's own, `server-controller.properties`) takes the carried file's.
 */
export async function carryFile(shell: HostShell, link: string, release: string, relative: string): Promise<void> {
  const r = await shell.run(sh`from=$(readlink -f -- ${link}) && to=$(cd -P -- ${release} && pwd -P) || exit 1
if [ "$from" = "$to" ]; then exit 0; fi
if [ -e "$to"/${relative} ]; then echo keep; else stat -c '%a %u %g' -- "$from"/${relative}; fi
dd if="$from"/${relative} iflag=nofollow status=none`);
  const newline = r.stdout.indexOf('\n');
  if (newline < 0) return;
  const [mode, owner, group] = r.stdout.slice(0, newline).split(' ');
  const attrs = mode === 'keep' ? {} : { mode: mode.padStart(4, '0'), owner, group };
  await shell.writeFile(posix.join(release, relative), r.stdout.slice(newline + 1), attrs);
}

/**
 * The release a unit leaves in a move: the one it runs, else the one linked; '' when it is on the
 * wanted one already. A unit this roll stopped already left: its marker's note names the release.
 */
export function releaseLeft(install: InstallState, unit: UnitRestartState): string {
  if (unit.restartedInRoll) return unit.note;
  const from = install.running || install.linked;
  return from === install.wanted ? '' : from;
}

/**
 * Fails unless the unit runs the release it was moved to (or, not running, is linked to it):
 * whatever comes next (a rollback removing the other release) relies on it.
 */
export async function expectMoved(shell: HostShell, s: InstallSwitch, running: boolean): Promise<void> {
  const now = await probeInstall(shell, s);
  const on = running ? now.running : now.linked;
  if (on !== now.wanted) {
    throw new TaskError(`${s.unit} ${running ? 'runs' : 'is linked to'} ${on || 'nothing'}, not ${s.release}, after the move`, { hint: `look at ${s.link} and the unit ${s.unit}` });
  }
}
