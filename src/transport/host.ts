// What tasks use to act on a host: commands, privilege escalation, file reads, stats and atomic
// writes, all built from sh scripts over a Transport's single `exec` verb (which runs them through
// sudo when the shell has a become). Values are quoted with `quote`/`sh` only; nothing here
// concatenates unquoted values into shell text.

import { Readable } from 'node:stream';
import { TaskError } from '../errors.js';
import { argv, quote, sh, ShellText } from '../shell/quote.js';
import { expectSize, placeTemp, tempBeside } from './atomic-replace.js';
import type { Become, ExecOptions, ExecResult, Transport } from './types.js';

export interface RunOptions {
  stdin?: string | Buffer | Readable;
  env?: Record<string, string>;
  chdir?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Throw CommandError on a non-zero exit (default true). */
  check?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type FileType = 'file' | 'directory' | 'link' | 'other';

export interface FileStat {
  type: FileType;
  /** Permission bits in octal, e.g. '644', '2755'. */
  mode: string;
  owner: string;
  group: string;
  size: number;
  /** For a symlink: what it points to, as written in the link. */
  linkTarget?: string;
}

export interface WriteOptions {
  /** Octal string like '0644'; when absent an existing file keeps its mode, a new one gets 0644. */
  mode?: string;
  owner?: string;
  group?: string;
}

/** A command exited non-zero. Carries its output so the user sees why. */
export class CommandError extends TaskError {
  constructor(
    readonly command: string,
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
    host: string,
  ) {
    const detail = (stderr.trim() || stdout.trim()).split('\n').slice(-5).join('\n');
    super(`command failed with exit code ${code}${detail ? `: ${detail}` : ''}`, { host });
    this.name = 'CommandError';
  }
}

export class HostShell {
  constructor(
    readonly transport: Transport,
    /** The user the transport logs in as; become is a no-op when it already is that user. */
    readonly loginUser: string,
    readonly become: Become | null = null,
    /** Aborts every command run through this shell (a step's `timeout`, the end of the run). */
    readonly signal?: AbortSignal,
  ) {}

  get host(): string {
    return this.transport.host;
  }

  /** The same host with other privileges (a step's become/become_user). */
  withBecome(become: Become | null): HostShell {
    return new HostShell(this.transport, this.loginUser, become, this.signal);
  }

  /** The same host, its commands stopped when `signal` aborts. */
  withSignal(signal: AbortSignal): HostShell {
    return new HostShell(this.transport, this.loginUser, this.become, signal);
  }

  /** The user commands effectively run as. */
  get effectiveUser(): string {
    return this.become?.user ?? this.loginUser;
  }

  /** Run an argv (each word quoted) or a script built with `sh`. */
  async run(command: ReadonlyArray<string> | ShellText, options: RunOptions = {}): Promise<RunResult> {
    const r = await this.execRaw(command, options);
    const result = { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
    if (options.check !== false && r.code !== 0) {
      throw new CommandError(describe(command), r.code, result.stdout, result.stderr, this.host);
    }
    return result;
  }

  /** Like `run` but returns stdout as bytes and never throws on exit status. */
  async execRaw(command: ReadonlyArray<string> | ShellText, options: RunOptions = {}): Promise<ExecResult> {
    const signal = options.signal && this.signal ? AbortSignal.any([options.signal, this.signal]) : (options.signal ?? this.signal);
    return this.transport.exec(inDirWithEnv(command, options), { stdin: options.stdin, timeoutMs: options.timeoutMs, signal, ...this.sudo() });
  }

  /**
   * How `command` is sent to the host when it needs nothing on stdin: what read-ahead sends ahead
   * of time, matched (script byte for byte, and user) when the command runs.
   */
  stdinLess(command: ShellText): { script: string; become?: Become } {
    return { script: command.text, ...this.sudo() };
  }

  /** The exec option that runs a command through sudo, when this shell's user is not the login. */
  private sudo(): Pick<ExecOptions, 'become'> {
    if (this.become === null || this.become.user === this.loginUser) return {};
    // sudo reads one line: the rest of a multi-line password would become the command's input.
    if (/[\r\n]/.test(this.become.password ?? '')) {
      throw new TaskError('the become password contains a line break; sudo reads a password up to the first one', { host: this.host, hint: 'set a password without line breaks' });
    }
    return { become: this.become };
  }

  /** The file's bytes, or null when it does not exist. */
  async readFile(path: string): Promise<Buffer | null> {
    const r = await this.execRaw(sh`if [ -e ${path} ]; then exec cat -- ${path}; else exit 3; fi`);
    if (r.code === 3) return null;
    if (r.code !== 0) throw new CommandError(`cat ${path}`, r.code, '', r.stderr.toString(), this.host);
    return r.stdout;
  }

  /** lstat: a symlink is reported as a link, with its target. null when nothing is there. */
  async stat(path: string): Promise<FileStat | null> {
    return parseStat((await this.run(statScript(path))).stdout);
  }

  /**
   * Write a file atomically: the bytes go to a temp file in the same directory, which gets its
   * mode and owner and is then renamed over the destination, so a reader never sees a half file
   * and an interrupted write leaves the old file intact. A controller that dies mid-transfer
   * closes stdin early, which `cat` cannot tell from the end of the data: so the temp file's size
   * is checked against the size given before the rename, in the same script, whose traps remove
   * the temp file however it ends. A stream comes with its size and is piped, never buffered whole.
   */
  async writeFile(path: string, data: string | Buffer | SizedStream, options: WriteOptions = {}): Promise<void> {
    const mode = options.mode
      ? sh`chmod ${options.mode} "$t"`
      : sh`if [ -e ${path} ]; then chmod --reference=${path} "$t"; else chmod 0644 "$t"; fi`;
    const owner = options.owner || options.group ? sh`chown ${`${options.owner ?? ''}:${options.group ?? ''}`} "$t"` : sh`if [ -e ${path} ]; then chown --reference=${path} "$t"; fi`;
    const script = (size: number) => sh`set -e
${tempBeside(path)}
cat > "$t"
${expectSize(size)}
${mode}
${owner}
${placeTemp(path)}`;
    if (typeof data === 'string' || Buffer.isBuffer(data)) {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      await this.run(script(bytes.length), { stdin: bytes });
      return;
    }
    // A failing source (a download cut off) ends the host's stdin early instead of erroring the
    // pipe, which transports need not handle; its error is thrown once the script has failed.
    let sourceError: unknown;
    const source = data.stream;
    const guarded = Readable.from(
      (async function* () {
        try {
          for await (const chunk of source) yield chunk as Buffer;
        } catch (e) {
          sourceError = e;
        }
      })(),
    );
    try {
      await this.run(script(data.size), { stdin: guarded });
    } catch (e) {
      if (sourceError !== undefined) throw sourceError;
      throw e;
    }
  }
}

/** Bytes to stream, with their number known in advance (so a cut-off transfer is recognised). */
export interface SizedStream {
  stream: Readable;
  size: number;
}

/** lstat of `path` as parseStat reads it. */
export function statScript(path: string): ShellText {
  return sh`if [ -e ${path} ] || [ -L ${path} ]; then stat -c '%F|%a|%U|%G|%s' -- ${path}; if [ -L ${path} ]; then readlink -- ${path}; fi; else echo absent; fi`;
}

export function parseStat(out: string): FileStat | null {
  const lines = out.replace(/\n$/, '').split('\n');
  if (lines[0] === 'absent') return null;
  const [kind, mode, owner, group, size] = lines[0].split('|');
  const type: FileType = kind.startsWith('regular')
    ? 'file'
    : kind === 'directory'
      ? 'directory'
      : kind === 'symbolic link'
        ? 'link'
        : 'other';
  return { type, mode, owner, group, size: Number(size), ...(type === 'link' ? { linkTarget: lines[1] } : {}) };
}

/** `command` as a script that first enters `chdir` and exports `env` (run's options of those names). */
export function inDirWithEnv(command: ReadonlyArray<string> | ShellText, options: Pick<RunOptions, 'chdir' | 'env'>): string {
  let script = command instanceof ShellText ? command.text : argv(command);
  if (options.chdir) script = sh`cd ${options.chdir} || exit 1`.text + '\n' + script;
  if (options.env) {
    const exports = Object.entries(options.env).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new TaskError(`invalid environment variable name ${JSON.stringify(k)}`);
      return `export ${k}=${quote(v)}`;
    });
    script = exports.join('\n') + '\n' + script;
  }
  return script;
}

function describe(command: ReadonlyArray<string> | ShellText): string {
  return command instanceof ShellText ? command.text : argv(command);
}
