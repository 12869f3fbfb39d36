// Checksums as download takes them (`sha256:<hex>`, `sha512:<hex>`, `sha512:https://...`), and the
// checksum files Apache publishes beside its releases, in both of their formats:
//
//   sha512sum style:   <hex>  <name>            (or `<hex> *<name>`, or the hex alone)
//   gpg --print-md:    <name>: <HEX IN GROUPS   (upper case, grouped, continued on indented lines)
//                               MORE HEX ...>

import { posix } from 'node:path';

export type Algorithm = 'sha256' | 'sha512';

export type ChecksumSpec = { algo: Algorithm; hex: string } | { algo: Algorithm; url: string };

const HEX_LENGTH: Record<Algorithm, number> = { sha256: 64, sha512: 128 };

/** Parses `algo:value`; null when it is not one of the accepted forms. */
export function parseChecksumSpec(spec: string): ChecksumSpec | null {
  const m = /^(sha256|sha512):(.+)$/.exec(spec.trim());
  if (!m) return null;
  const algo = m[1] as Algorithm;
  if (/^(https?|ftp|file):\/\//.test(m[2])) return { algo, url: m[2] };
  const hex = m[2].toLowerCase();
  return hex.length === HEX_LENGTH[algo] && /^[0-9a-f]+$/.test(hex) ? { algo, hex } : null;
}

/** A checksum URL without an algorithm prefix: the extension says which (.sha256, else sha512). */
export function checksumUrlSpec(url: string): ChecksumSpec {
  return { algo: /\.sha256$/i.test(url) ? 'sha256' : 'sha512', url };
}

/**
 * The checksum for file `name` in a checksum file's text: the entry naming it, or the only entry.
 * null when there is none (or several and none names the file).
 */
export function parseChecksumFile(text: string, algo: Algorithm, name: string): string | null {
  const entries: Array<{ name?: string; hex: string }> = [];
  let continued: { name?: string; hex: string } | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const plain = /^\s*([0-9a-fA-F]{64,})(?:\s+\*?(.+))?$/.exec(line);
    if (plain) {
      entries.push({ hex: plain[1], name: plain[2]?.trim() });
      continued = null;
      continue;
    }
    const grouped = /^(\S[^:]*):\s*([0-9a-fA-F\s]*)$/.exec(line);
    if (grouped) {
      continued = { name: grouped[1].trim(), hex: grouped[2] };
      entries.push(continued);
      continue;
    }
    if (continued && /^\s+[0-9a-fA-F\s]+$/.test(line)) continued.hex += line;
    else continued = null;
  }
  const valid = entries
    .map((e) => ({ name: e.name, hex: e.hex.replace(/\s+/g, '').toLowerCase() }))
    .filter((e) => e.hex.length === HEX_LENGTH[algo] && /^[0-9a-f]+$/.test(e.hex));
  const named = valid.find((e) => e.name !== undefined && posix.basename(e.name) === name);
  if (named) return named.hex;
  return valid.length === 1 ? valid[0].hex : null;
}
