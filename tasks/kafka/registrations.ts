// What a KRaft cluster knows of its brokers: `kafka-cluster.sh list-endpoints
// --include-fenced-brokers` (Kafka 4.0, KIP-1073) prints every registered broker, a stopped one as
// fenced. Kafka 3.9's tool has no such listing.

export interface Registration {
  id: number;
  fenced: boolean;
}

/**
 * The brokers of a list-endpoints table (`ID HOST PORT RACK STATE ENDPOINT_TYPE`, one row each),
 * or undefined when the tool has no list-endpoints (Kafka 3.9: argparse's "invalid choice").
 * Anything else it prints is an error, thrown with the tool's own line.
 */
export function parseRegistrations(out: string, code: number): Registration[] | undefined {
  if (/invalid\s+choice:\s+'list-endpoints'/.test(out)) return undefined;
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  if (code !== 0 || !lines.some((l) => /^ID\s+HOST\s+PORT\s+RACK\s+STATE\s+ENDPOINT_TYPE$/.test(l))) {
    throw new Error(lines.find((l) => /Exception|^Error/.test(l)) ?? lines.at(-1) ?? `exit ${code}`);
  }
  return lines
    .map((l) => l.split(/\s+/))
    .filter((f) => /^\d+$/.test(f[0]) && f.at(-1) === 'broker')
    .map((f) => ({ id: Number(f[0]), fenced: f.at(-2) === 'fenced' }));
}
