// Host key verification against OpenSSH known_hosts files. No maintained npm package reads them
// (hashed names, `[host]:port`, negations, markers), so the format is read here, following
// sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT". Only what we need: plain keys and `@revoked`;
// `@cert-authority` lines are skipped (host certificates are not supported).

import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The name a host is recorded under: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** The key type written at the start of an SSH public key blob (`ssh-ed25519`, `ssh-rsa`...). */
export function keyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH's fingerprint format: `SHA256:` and unpadded base64. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export interface KnownHostLine {
  file: string;
  line: number;
  marker?: 'revoked' | 'cert-authority';
  type: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostLine }
  /**
   * Another key is recorded for this name: of the same type, or only keys of other types (the
   * host offered a type it is not known by; OpenSSH refuses that too, even with accept-new).
   */
  | { status: 'changed'; entry: KnownHostLine }
  | { status: 'revoked'; entry: KnownHostLine }
  | { status: 'unknown' };

/** A known_hosts line parsed, with its host patterns compiled. */
interface ParsedLine {
  line: KnownHostLine;
  matches(name: string): boolean;
}

/**
 * Each file parsed once per version (size and mtime): a run connects to every host, and parsing
 * the whole file (and compiling its patterns) for each made connecting O(hosts²).
 */
const parsedFiles = new Map<string, { version: string; lines: Promise<ParsedLine[] | undefined> }>();

function parsedFile(file: string, version: string): Promise<ParsedLine[] | undefined> {
  const cached = parsedFiles.get(file);
  if (cached?.version === version) return cached.lines;
  const lines = readFile(file, 'utf8').then(
    (text) => text.split('\n').flatMap((raw, i) => parseLine(raw, file, i + 1) ?? []),
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      parsedFiles.delete(file);
      throw e;
    },
  );
  parsedFiles.set(file, { version, lines });
  return lines;
}

/** The entries of `files` (missing files count as empty) whose host patterns match `name`. */
export async function entriesFor(files: string[], name: string): Promise<KnownHostLine[]> {
  const found: KnownHostLine[] = [];
  for (const file of files) {
    const version = await stat(file).then(
      (st) => `${st.size}:${st.mtimeMs}`,
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      },
    );
    if (version === undefined) continue;
    for (const parsed of (await parsedFile(file, version)) ?? []) if (parsed.matches(name)) found.push(parsed.line);
  }
  return found;
}

/** What the known_hosts entries say about the key a server offered. */
export function verdict(entries: KnownHostLine[], offered: Buffer): HostKeyVerdict {
  const type = keyType(offered);
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(offered));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = entries.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.key.equals(offered));
  if (same) return { status: 'known', entry: same };
  const other = plain.find((e) => e.type === type) ?? plain[0];
  if (other) return { status: 'changed', entry: other };
  return { status: 'unknown' };
}

/**
 * Host key algorithms to offer the server, those of the keys already recorded first: like
 * OpenSSH, so a host known by its RSA key is not refused because it also has an ed25519 one.
 */
export function preferredHostKeyAlgorithms(entries: KnownHostLine[]): string[] {
  const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  const known = new Set(entries.filter((e) => e.marker === undefined).map((e) => e.type));
  const wanted = (alg: string) => known.has(alg.startsWith('rsa-sha2-') ? 'ssh-rsa' : alg);
  return [...all.filter(wanted), ...all.filter((a) => !wanted(a))];
}

/** Record a host key (accept-new), creating the file and its directory when missing. */
export async function appendKnownHost(file: string, name: string, key: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const existing = await readFile(file);
    if (existing.length > 0 && existing[existing.length - 1] !== 0x0a) prefix = '\n';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await appendFile(file, `${prefix}${name} ${keyType(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
}

function parseLine(raw: string, file: string, line: number): ParsedLine | null {
  const fields = raw.trim().split(/\s+/);
  if (fields[0] === '' || fields[0].startsWith('#')) return null;
  let marker: KnownHostLine['marker'];
  if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
    marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
    fields.shift();
  } else if (fields[0].startsWith('@')) {
    return null;
  }
  const [patterns, type, base64] = fields;
  if (!patterns || !type || !base64) return null;
  const key = Buffer.from(base64, 'base64');
  if (key.length < 4) return null;
  return { matches: matcher(patterns), line: { file, line, marker, type, key } };
}

/** OpenSSH host pattern lists: hashed `|1|salt|hash`, or comma-separated globs with `!` negation. */
function matcher(patterns: string): (name: string) => boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return () => false;
    const secret = Buffer.from(salt, 'base64');
    return (name) => createHmac('sha1', secret).update(name).digest('base64') === hash;
  }
  const globs = patterns.split(',').map((pattern) => {
    const negated = pattern.startsWith('!');
    return { negated, re: glob(negated ? pattern.slice(1) : pattern) };
  });
  return (name) => {
    let matched = false;
    for (const { negated, re } of globs) {
      if (!re.test(name)) continue;
      if (negated) return false;
      matched = true;
    }
    return matched;
  };
}

function glob(pattern: string): RegExp {
  const body = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}
