// A transport runs sh scripts on one host. It is deliberately small: one verb, `exec`, that runs a
// script with `/bin/sh -c` and streams stdin in, as the login user or through sudo as another.
// Everything else (argv quoting, env, chdir, file reads, atomic uploads) is built once on top of
// it in `host.ts`, so the local and the SSH transport behave identically and targets need nothing
// but sh, sudo and coreutils. Become is the transport's because how to pay for sudo is: the SSH
// transport keeps a shell per become user (ssh.ts), where the local one runs sudo per script.

import { Readable, type Duplex } from 'node:stream';
import { TaskError } from '../errors.js';

/** The host's sshd does not forward TCP connections: what needs one must do without. */
export class ForwardingRefused extends TaskError {}

export interface Become {
  /** The user to become (sudo -u); root when not given. */
  user: string;
  /** sudo password, when the host's sudo asks for one; never logged. */
  password?: string;
}

export interface ExecOptions {
  /** Bytes fed to the script's stdin; a stream is piped without buffering it whole. */
  stdin?: string | Buffer | Readable;
  /** Kill the command after this long and fail with a timeout error. */
  timeoutMs?: number;
  /** Abort the command (Ctrl-C on the controller). */
  signal?: AbortSignal;
  /** Run the script as this user through sudo (become.ts): stdin is the script's alone. */
  become?: Become;
}

export interface BatchOptions extends Omit<ExecOptions, 'stdin'> {
  /**
   * Shell text run first, in a subshell that holds the whole batch: the variables it sets (the
   * probes' stat table) are seen by every script of the batch and by nothing after it.
   */
  prelude?: string;
}

/** The exec sends nothing on stdin (what the persistent shell and read-ahead can take). */
export function withoutInput(options: ExecOptions): boolean {
  return options.stdin === undefined || (!(options.stdin instanceof Readable) && options.stdin.length === 0);
}

export interface ExecResult {
  /** Exit status; 128+n when the command died of signal n. */
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface Transport {
  /** The inventory name of the host this transport reaches. */
  readonly host: string;
  /** Open the connection (idempotent). Throws UnreachableError when the host cannot be reached. */
  connect(): Promise<void>;
  /** Run `script` with /bin/sh -c on the host. Throws UnreachableError if the connection drops. */
  exec(script: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Send stdin-less scripts to run one after another, in a single round trip, where the transport
   * can (the SSH transport's persistent shell); undefined when it cannot now. Resolves once they
   * are sent, with each script's result, in order, settling as that script ends: the first can be
   * used while the host still runs the rest. Nothing needs to wait for a result it does not use.
   */
  execMany?(scripts: string[], options?: BatchOptions): Promise<Promise<ExecResult>[] | undefined>;
  /**
   * A TCP connection from the host to `address:port` (an SSH direct-tcpip channel; a plain socket
   * for the local transport), so the controller can talk to a service only the host can reach,
   * e.g. a broker on a private network. Fails when the server refuses forwarding.
   */
  openTcp(address: string, port: number): Promise<Duplex>;
  /** Close the connection; safe to call more than once. */
  close(): Promise<void>;
}
