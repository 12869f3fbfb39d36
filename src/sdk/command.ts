// What command and shell share: the creates / removes / unless guards, decided on the host in one
// round trip, and running the command with chdir, env and stdin, returning Ansible's register
// data (rc, stdout, stderr, stdout_lines, stderr_lines).

import { argv, raw, sh, type ShellText } from '../shell/quote.js';
import { privateTempDir } from '../shell/temp-dir.js';
import { CommandError, inDirWithEnv, type HostShell } from '../transport/host.js';
import { z } from 'zod';
import { type ApplyResult, type CheckResult } from '../task/types.js';

/**
 * A word or env value: numbers and booleans (a templated `"{{port}}"` renders as a number) become
 * their text, as Ansible does for module args.
 */
export const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const guardArgs = {
  creates: z.string().min(1).optional().describe('A path: when it exists, the command is not run (it already did its work).'),
  removes: z.string().min(1).optional().describe('A path: when it does not exist, the command is not run.'),
  unless: z.string().min(1).optional().describe('A shell command whose success means the work is already done. It runs under --check too: keep it read-only.'),
  chdir: z.string().min(1).optional().describe('Directory to run in (guards\' relative paths resolve from here too).'),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a valid environment variable name'), scalarText).optional().describe('Environment variables for the command (and its guards), NAME: value.'),
  stdin: z.string().optional().describe('Text fed to the command\'s standard input.'),
};

type GuardArgs = { creates?: string; removes?: string; unless?: string; chdir?: string; env?: Record<string, string> };

/** The probe of the creates / removes / unless guards (run in chdir, with env); undefined without one. */
export function guardsProbe(a: GuardArgs): ShellText | undefined {
  if (a.creates === undefined && a.removes === undefined && a.unless === undefined) return undefined;
  const script = sh`${a.creates !== undefined ? sh`if [ -e ${a.creates} ]; then echo ${`${a.creates} exists`}; exit 0; fi` : raw(':')}
${a.removes !== undefined ? sh`if [ ! -e ${a.removes} ]; then echo ${`${a.removes} does not exist`}; exit 0; fi` : raw(':')}
${a.unless !== undefined ? sh`if sh -c ${a.unless} >/dev/null 2>&1 </dev/null; then echo 'unless command succeeded'; exit 0; fi` : raw(':')}`;
  return raw(inDirWithEnv(script, a));
}

/** In sync when a guard said (in `probed`) the work is done; unknowable in --check when there is no guard. */
export function checkGuards(a: GuardArgs, probed: string, what: string): CheckResult<undefined, undefined> {
  if (a.creates === undefined && a.removes === undefined && a.unless === undefined) {
    return { inSync: false, summary: `run ${what}`, unknowableInCheck: 'no creates/removes/unless guard tells whether it would change anything' };
  }
  const reason = probed.trim();
  if (reason) return { inSync: true, summary: `not run: ${reason}`, data: { rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] } };
  return { inSync: false, summary: `run ${what}` };
}

/** Of each output stream, runbook keeps this much from the start and as much from the end. */
export const OUTPUT_KEPT = 2 * 1024 * 1024;

/**
 * Over SSH, a command must not outlive the controller: once the connection is gone, a command
 * still running could finish after \`runbook resume\` has run it (or an \`undo:\` block) again.
 * Without a terminal sshd sends no hangup, so the script finds the sshd session process above it
 * (reading /proc with builtins: no process is started for this) and a watchdog ends the script's
 * process group once that session is gone. A local command (the walk meets the controller, node,
 * first) dies with the controller already (the local transport's parent-death signal).
 */
const DIE_WITH_SESSION = raw(`rb_p=$$ rb_c= rb_wd=
while [ "$rb_p" -gt 1 ] && IFS= read -r rb_c 2>/dev/null < "/proc/$rb_p/comm" && [ "$rb_c" != sshd ] && [ "$rb_c" != node ]; do
  IFS= read -r rb_st 2>/dev/null < "/proc/$rb_p/stat" || break
  rb_st=\${rb_st##*) }; rb_p=\${rb_st#* }; rb_p=\${rb_p%% *}
done
if [ "$rb_c" = sshd ] && [ "$rb_p" -gt 1 ]; then
  ( while [ -d "/proc/$rb_p" ]; do sleep 1; done; kill -TERM 0 ) </dev/null >/dev/null 2>&1 &
  rb_wd=$!
fi`);

/**
 * The command with its output capped on the host: it writes to files in a private temp directory,
 * and only the first and last OUTPUT_KEPT bytes of each stream come back, with a line saying how
 * much was left out. A command printing 100 MB would otherwise be held in the controller's memory
 * several times over (the bytes, the text, its lines, the journal record). It also dies with the
 * SSH session (DIE_WITH_SESSION).
 */
function withCappedOutput(command: string[] | ShellText): ShellText {
  // A shell script gets a /bin/sh of its own, as under Ansible's shell module: its $$ is its own
  // (a script on the connection's long-lived shell sees that shell's).
  const run = Array.isArray(command) ? sh`( ${raw(argv(command))} )` : sh`/bin/sh -c ${command.text}`;
  return sh`${privateTempDir('rb_o')}
${DIE_WITH_SESSION}
${run} > "$rb_o/1" 2> "$rb_o/2"
rb_rc=$?
if [ -n "$rb_wd" ]; then kill "$rb_wd" 2>/dev/null; fi
for rb_s in 1 2; do
  rb_n=$(wc -c < "$rb_o/$rb_s")
  if [ "$rb_n" -le ${2 * OUTPUT_KEPT} ]; then cat -- "$rb_o/$rb_s" >&"$rb_s"
  else
    { head -c ${OUTPUT_KEPT} -- "$rb_o/$rb_s"; printf '\n[... runbook left out %s bytes of this output: it keeps the first and last %s ...]\n' "$((rb_n - ${2 * OUTPUT_KEPT}))" ${`${OUTPUT_KEPT} bytes`}; tail -c ${OUTPUT_KEPT} -- "$rb_o/$rb_s"; } >&"$rb_s"
  fi
done
exit "$rb_rc"`;
}

/** Runs it; a non-zero exit throws CommandError (failed_when can still accept it: the engine reads its rc/stdout/stderr). */
export async function runCommand(shell: HostShell, command: string[] | ShellText, a: GuardArgs & { stdin?: string }, signal: AbortSignal): Promise<ApplyResult<undefined>> {
  const r = await shell.run(withCappedOutput(command), { chdir: a.chdir, env: a.env, stdin: a.stdin, check: false, signal });
  // Trailing line ends dropped, as Ansible's command module does (strip_empty_ends), so that
  // `when: eq state.stdout "kraft"` compares the word a script echoed.
  const stdout = stripEnds(r.stdout);
  const stderr = stripEnds(r.stderr);
  const data = { rc: r.code, stdout, stderr, stdout_lines: lines(stdout), stderr_lines: lines(stderr) };
  if (r.code !== 0) throw new CommandError(Array.isArray(command) ? command.join(' ') : command.text, r.code, r.stdout, r.stderr, shell.host);
  return { data };
}

const stripEnds = (text: string) => text.replace(/[\r\n]+$/, '');

function lines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}

/**
 * Splits a command string into words the way sh would, without expanding anything: blanks separate
 * words, '...' keeps everything literally, "..." keeps everything but \" and \\, and a backslash
 * outside quotes keeps the next character. `$`, `*`, `|`, `;` are ordinary characters here.
 */
export function splitWords(command: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== null) words.push(word);
      word = null;
      continue;
    }
    word ??= '';
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in: ${command}`);
      word += command.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === '\\' && (command[j + 1] === '"' || command[j + 1] === '\\')) j++;
        word += command[j];
      }
      if (j >= command.length) throw new Error(`unclosed " in: ${command}`);
      i = j;
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
    } else {
      word += c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
