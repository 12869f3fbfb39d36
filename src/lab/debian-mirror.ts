// The Debian mirror the controller itself uses: debootstrap builds the base from it and lab hosts'
// apt points at it (through the lab's apt-cacher-ng), so the lab needs no network the machine
// does not already have.

import { readFile, readdir } from 'node:fs/promises';

export interface DebianMirror {
  /** e.g. http://deb.debian.org/debian */
  main: string;
  /** e.g. http://deb.debian.org/debian-security */
  security: string;
}

const FALLBACK: DebianMirror = { main: 'http://deb.debian.org/debian', security: 'http://deb.debian.org/debian-security' };

/** (uri, suites) pairs from one-line `deb` entries and deb822 stanzas. */
function parseSources(text: string): Array<{ uri: string; suites: string[] }> {
  const out: Array<{ uri: string; suites: string[] }> = [];
  for (const line of text.split('\n')) {
    const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m) out.push({ uri: m[1], suites: [m[2]] });
  }
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1].trim().split(/\s+/) ?? [];
    if (!field('Types').includes('deb')) continue;
    for (const uri of field('URIs')) out.push({ uri, suites: field('Suites') });
  }
  return out;
}

export async function controllerDebianMirror(): Promise<DebianMirror> {
  const files = ['/etc/apt/sources.list'];
  try {
    for (const f of await readdir('/etc/apt/sources.list.d')) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(`/etc/apt/sources.list.d/${f}`);
    }
  } catch {
    // no sources.list.d: the fallback below still works on a networked machine
  }
  const entries = (await Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => '')))).flatMap(parseSources);
  const find = (suite: string) => entries.find((e) => e.suites.includes(suite))?.uri.replace(/\/+$/, '');
  return { main: find('bookworm') ?? FALLBACK.main, security: find('bookworm-security') ?? FALLBACK.security };
}

/** The deb822 sources a lab host (and the base it starts from) uses: bookworm with its updates and security. */
export function debianSources(mirror: DebianMirror): string {
  const stanza = (uri: string, suites: string) =>
    ['Types: deb', `URIs: ${uri}`, `Suites: ${suites}`, 'Components: main', 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg', ''].join('\n');
  return [stanza(mirror.main, 'bookworm bookworm-updates'), stanza(mirror.security, 'bookworm-security')].join('\n');
}
