// ~/.ssh/config, read with the `ssh-config` package: the settings OpenSSH would use for a host
// alias (HostName, User, Port, IdentityFile, ProxyJump). `Match exec` is never evaluated: reading
// a config must not run commands.

import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';

export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  /** `none` is returned as undefined. */
  proxyJump?: string;
}

export interface SshConfig {
  lookup(alias: string): SshConfigEntry;
}

export function defaultSshConfigFile(): string {
  return join(homedir(), '.ssh', 'config');
}

/** Parse an ssh config file; a missing file is an empty config. */
export async function readSshConfig(file: string = defaultSshConfigFile()): Promise<SshConfig> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const parsed = SSHConfig.parse(text);
  return {
    lookup(alias) {
      const found = parsed.compute(alias, { ignoreCase: true, matchExec: false });
      const one = (key: string): string | undefined => {
        const v = found[key];
        return Array.isArray(v) ? v[0] : v;
      };
      const hostName = one('hostname')?.replace(/%h/g, alias);
      const user = one('user');
      const tokens = { h: hostName ?? alias, r: user ?? userInfo().username };
      const files = found['identityfile'];
      const port = one('port');
      const proxyJump = one('proxyjump');
      return {
        hostName,
        user,
        port: port === undefined ? undefined : Number(port),
        identityFiles: (Array.isArray(files) ? files : files ? [files] : []).map((f) => expandPath(f, tokens)),
        proxyJump: proxyJump === undefined || proxyJump === 'none' ? undefined : proxyJump,
      };
    },
  };
}

/** `~` and the ssh_config(5) tokens an IdentityFile may use (%d %u %h %r %%). */
export function expandPath(path: string, tokens: { h: string; r: string }): string {
  const expanded = path.replace(/%([duhr%])/g, (_, t: string) => {
    if (t === 'd') return homedir();
    if (t === 'u') return userInfo().username;
    if (t === '%') return '%';
    return tokens[t as 'h' | 'r'];
  });
  return expanded === '~' || expanded.startsWith('~/') ? homedir() + expanded.slice(1) : expanded;
}
