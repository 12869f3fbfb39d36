// A connection's long-lived shells (ssh-shell.ts): one as the login user, and one per become user
// (and password) the run asks for, each started on first use and again after it died (a stopped
// script kills its shell). A shell that cannot start (a forced command, sudo refusing without a
// terminal or a password) is not asked for again on this connection: its scripts take channels,
// which report why sudo failed.
//
// The login shell has a channel of the connection's cap to itself; a become shell holds one of the
// exec channels' slots while it lives, and one slot always stays for channels, so a script with
// stdin never waits on shells that hold them all.

import type { ClientChannel } from 'ssh2';
import { ShellSession, shellCommand } from './ssh-shell.js';
import type { Semaphore } from './semaphore.js';
import type { Become } from './types.js';

/** Opens a session channel running `command`; `attach` runs in ssh2's callback, before any event. */
type OpenSession = (command: string, attach: (channel: ClientChannel) => void) => Promise<void>;

/** One user's shell on the connection: running, starting, or not to be asked for again. */
interface UserShell {
  shell?: ShellSession;
  starting?: Promise<ShellSession | undefined>;
  unavailable?: boolean;
}

export class Shells {
  private readonly byUser = new Map<string, UserShell>();
  private becomeShells = 0;

  constructor(
    private readonly open: OpenSession,
    /** The exec channels' cap, which become shells take their channel from. */
    private readonly channels: Semaphore,
    /** How many become shells may hold an exec channel at once. */
    private readonly maxBecomeShells: number,
    loginShell: boolean,
  ) {
    if (!loginShell) this.byUser.set(key(undefined), { unavailable: true });
  }

  /** The shell that runs scripts as `become` (the login user without), started on first use; undefined when it cannot run. */
  async idle(become: Become | undefined): Promise<ShellSession | undefined> {
    const id = key(become);
    let user = this.byUser.get(id);
    if (!user) this.byUser.set(id, (user = {}));
    if (user.unavailable) return undefined;
    if (!user.shell?.alive) {
      user.starting ??= this.start(user, become).finally(() => (user.starting = undefined));
    }
    return user.starting ? await user.starting : user.shell;
  }

  /** Ends every shell: each reads end of input and exits. */
  close(): void {
    for (const user of this.byUser.values()) user.shell?.close();
  }

  private async start(user: UserShell, become: Become | undefined): Promise<ShellSession | undefined> {
    let release: (() => void) | undefined;
    if (become) {
      if (this.becomeShells >= this.maxBecomeShells) return undefined;
      this.becomeShells++;
      const channel = await this.channels.acquire().catch(() => undefined);
      release = () => {
        if (!release) return;
        release = undefined;
        this.becomeShells--;
        channel?.();
      };
      if (!channel) return void release();
    }
    let session: ShellSession | undefined;
    try {
      await this.open(shellCommand(become), (channel) => {
        if (release) channel.once('close', release);
        session = new ShellSession(channel, become);
      });
      await session!.started();
      user.shell = session;
      return session;
    } catch {
      // Channels work without the shell, only slower: a host that cannot run it is not an error.
      release?.();
      user.unavailable = true;
      return undefined;
    }
  }
}

/** Which shell runs a script: the login user's, or a become user's with the password sudo was given. */
function key(become: Become | undefined): string {
  return become ? `${become.user}\0${become.password ?? ''}` : '';
}
