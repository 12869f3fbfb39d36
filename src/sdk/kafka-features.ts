// A KRaft cluster's finalized feature levels as `kafka-features.sh describe` prints them, and the
// metadata.version a release brings. The bump of metadata.version ends a KRaft upgrade (Kafka's
// upgrade notes): kafka_metadata_version reads it, compares, and raises it.

import { sh } from '../shell/quote.js';
import type { HostShell } from '../transport/host.js';
import { TaskError } from '../errors.js';
import { findKafka } from './kafka-tools.js';

/** A metadata.version as Kafka names it: `3.9-IV0`; `iv` absent for a release (`4.1`: its latest). */
export interface MetadataVersion {
  major: number;
  minor: number;
  iv?: number;
}

export interface MetadataVersionState {
  finalized: MetadataVersion;
  /** The highest level the node that answered supports. */
  supportedMax: MetadataVersion;
}

/** `3.9-IV0`, `4.1` (a release: its major.minor), or `4.1.1` (a release with its patch, which does not matter). */
export function parseMetadataVersion(text: string): MetadataVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:-IV(\d+)|\.\d+)?$/.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), ...(m[3] !== undefined ? { iv: Number(m[3]) } : {}) };
}

export const formatMetadataVersion = (v: MetadataVersion): string => `${v.major}.${v.minor}${v.iv !== undefined ? `-IV${v.iv}` : ''}`;

/** Whether `have` is at `want` or beyond; a `want` without IV is met by any IV of its release. */
export function reaches(have: MetadataVersion, want: MetadataVersion): boolean {
  if (have.major !== want.major) return have.major > want.major;
  if (have.minor !== want.minor) return have.minor > want.minor;
  return want.iv === undefined || (have.iv ?? 0) >= want.iv;
}

/** The metadata.version line of `describe`; undefined when the output has none (no answer). */
export function parseFeatures(text: string): MetadataVersionState | undefined {
  const line = text.split('\n').find((l) => /^Feature:\s*metadata\.version\s/.test(l));
  const field = (name: string) => (line ? new RegExp(`\\b${name}:\\s*(\\S+)`).exec(line)?.[1] : undefined);
  const finalized = parseMetadataVersion(field('FinalizedVersionLevel') ?? '');
  const supportedMax = parseMetadataVersion(field('SupportedMaxVersion') ?? '');
  return finalized && supportedMax ? { finalized, supportedMax } : undefined;
}

/** The cluster's metadata.version, asked from this host through the brokers. */
export async function readMetadataVersion(shell: HostShell, q: { bootstrap: string; kafkaHome?: string }): Promise<MetadataVersionState> {
  const r = await shell.run(sh`${findKafka(q.kafkaHome)}
timeout 60 "$k/bin/kafka-features.sh" --bootstrap-server ${q.bootstrap} describe 2>&1`, { check: false });
  if (r.code === 66) throw new TaskError(r.stderr.trim());
  const state = parseFeatures(r.stdout);
  if (!state) throw new TaskError(`kafka-features.sh describe named no metadata.version (exit ${r.code}): ${r.stdout.trim().split('\n').slice(-3).join(' ')}`);
  return state;
}
