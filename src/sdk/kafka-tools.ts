// What the Kafka tasks and `runbook status` share: finding the Kafka install on the host and the argument
// shapes of the Kafka command-line tools.

import { z } from 'zod';
import { sh, type ShellText } from '../shell/quote.js';
import { TaskError } from '../errors.js';
import type { HostShell } from '../transport/host.js';
import type { Move } from './roll.js';

const hostPort = z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d+$/, 'host:port');
/** One host:port, several joined with commas (as Kafka's tools take them), or a list. */
export const bootstrapArg = z.union([
  z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d+(,[A-Za-z0-9.\-_[\]:]+:\d+)*$/, 'host:port, or several joined with commas'),
  z.array(hostPort).min(1),
]);
/** Broker ids: a list, one number, or a comma-joined string (what a template renders). */
export const brokerIdsArg = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : typeof v === 'number' ? [v] : v),
  z.array(z.coerce.number().int().nonnegative()),
);
export const kafkaHomeArg = z.string().regex(/^\//, 'an absolute path').optional();
export const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "a Kafka topic name: letters, digits, '.', '_' and '-'");

export function bootstrapList(v: string | string[]): string {
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Sets `k` to the Kafka install: the given one, else $KAFKA_HOME, ~/kafka or /opt/kafka, whichever
 * has bin/kafka-topics.sh; loads JAVA_HOME from /etc/profile.d/java.sh (the java task's) since
 * non-interactive SSH shells do not read profiles. LOG_DIR points away from the install: Kafka's
 * scripts create it (default: the install's logs/) when it is missing, and a tool run as root
 * right after an upgrade's switch made the new release's logs/ root's before the broker started,
 * which then could not open its GC log. The tools log to stderr; nothing is written there.
 * KAFKA_JVM_PERFORMANCE_OPTS gives the tools a client JVM: Kafka's default is the broker's (G1,
 * both JIT compilers), which a tool that lives a second spends most of its CPU starting. The
 * gates run them every few seconds on hosts whose broker is restarting; measured on a lab host,
 * kafka-topics.sh --describe took 40% less CPU and 15% less time (bench/RESULTS.md).
 */
export function findKafka(home: string | undefined): ShellText {
  return sh`if [ -r /etc/profile.d/java.sh ]; then . /etc/profile.d/java.sh; fi
LOG_DIR=\${TMPDIR:-/tmp}; export LOG_DIR
KAFKA_JVM_PERFORMANCE_OPTS='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true'; export KAFKA_JVM_PERFORMANCE_OPTS
k=${home ?? ''}
if [ -z "$k" ]; then for d in "\${KAFKA_HOME:-}" "$HOME/kafka" /opt/kafka; do if [ -n "$d" ] && [ -x "$d/bin/kafka-topics.sh" ]; then k=$d; break; fi; done; fi
if [ ! -x "$k/bin/kafka-topics.sh" ]; then echo "no Kafka install found (looked for bin/kafka-topics.sh in \${k:-\\$KAFKA_HOME, ~/kafka, /opt/kafka}); give kafka_home" >&2; exit 66; fi`;
}

/** The jar every Kafka release holds open, in the directory that names the release (an upgrade's move reads it). */
export const KAFKA_JAR_TAIL = '/libs/kafka-clients-[^/]*\\.jar';

/** The move an upgrade's `switch_to` asks of a Kafka node: its install link pointed at the release, its config file carried along. */
export function kafkaMove(a: { switch_to?: string; kafka_home?: string; service: string; config: string }): Move | undefined {
  if (!a.switch_to) return undefined;
  if (!a.kafka_home) throw new TaskError('switch_to needs kafka_home: the install link the node starts from (/home/kafka/kafka)');
  return { link: a.kafka_home, release: a.switch_to, unit: a.service, jarTail: KAFKA_JAR_TAIL, carry: a.config };
}

/**
 * Whether a node's listeners (its config's `listeners`, inside the install) accept connections on
 * this host: while they do not, a restarting node is not back, and nothing needs Kafka's tools (a
 * JVM each) to say so. Undefined when that cannot be told here (no `listeners` line, no `ss`):
 * then the tools tell.
 */
export async function listenersOpen(shell: HostShell, kafkaHome: string | undefined, config: string): Promise<boolean | undefined> {
  const r = await shell.run(sh`${findKafka(kafkaHome)}
ports=$(sed -n 's/^listeners=//p' "$k"/${config} 2>/dev/null | tail -n 1 | tr ',' '\\n' | sed -n 's/.*:\\([0-9][0-9]*\\)$/\\1/p')
if [ -z "$ports" ] || ! command -v ss >/dev/null 2>&1; then echo unknown; exit 0; fi
for p in $ports; do ss -Hltn "sport = :$p" | grep -q . || { echo closed; exit 0; }; done
echo open`);
  const answer = r.stdout.trim();
  return answer === 'unknown' ? undefined : answer === 'open';
}

/**
 * How old a look at the cluster may be for a turn's gate to take it instead of a look of its own:
 * apply runs right after check, and each look starts Kafka's tools (a JVM: two or three seconds on
 * a busy host). Under --confirm an answer may take longer: then the gate looks again.
 */
export const FRESH_LOOK_MS = 5000;
