// kafka_unregister: the last step of taking brokers out of a KRaft cluster. A stopped broker stays
// registered (fenced) in the cluster's metadata until it is unregistered (`kafka-cluster.sh
// unregister`), as Kafka's operations guide says for decommissioning; a registration left behind
// shows in every broker listing, and an old one can hold back a feature upgrade. ZooKeeper clusters
// need no such step: a stopped broker's registration there is an ephemeral node that goes with it.

import { defineTask, z, sh, TaskError, bootstrapArg, bootstrapList, brokerIdsArg, findKafka, kafkaHomeArg, type HostShell } from 'runbook';
import { parseRegistrations, type Registration } from './kafka/registrations.js';

const args = z.strictObject({
  brokers: brokerIdsArg.pipe(z.array(z.number()).min(1)).describe('The ids of the brokers to unregister (a list or comma-joined); each must be stopped.'),
  bootstrap_server: bootstrapArg.describe('The cluster: brokers that stay (host:port, a comma-joined list or a list).'),
  kafka_home: kafkaHomeArg.describe('The Kafka install (default: $KAFKA_HOME, ~/kafka or /opt/kafka, whichever has bin/kafka-topics.sh).'),
});

interface Observed {
  /** The brokers to unregister: those still registered, or (Kafka 3.9, which cannot list them) every one asked. */
  ids: number[];
}

/** The registrations, or undefined when the cluster's tool cannot list stopped brokers (Kafka 3.9). */
async function registrations(shell: HostShell, bootstrap: string, home: string | undefined): Promise<Registration[] | undefined> {
  const r = await shell.run(sh`${findKafka(home)}
timeout 60 "$k/bin/kafka-cluster.sh" list-endpoints --bootstrap-server ${bootstrap} --include-fenced-brokers 2>&1`, { check: false });
  if (r.code === 66) throw new TaskError(r.stderr.trim());
  try {
    return parseRegistrations(r.stdout, r.code);
  } catch (e) {
    throw new TaskError(`cannot list the brokers from ${bootstrap}: ${(e as Error).message}`);
  }
}

export default defineTask<typeof args, Observed, { brokers: number[] }>({
  name: 'kafka_unregister',
  description: 'Unregister stopped brokers from a KRaft cluster (kafka-cluster.sh unregister)',
  doc: `Reads the cluster's registered brokers, stopped ones included (\`kafka-cluster.sh list-endpoints
--include-fenced-brokers\`, Kafka 4.0 and later) and unregisters each of \`brokers\` still there
(\`kafka-cluster.sh unregister --id N\`). A broker that is running (unfenced) is refused: it would
register itself again at once, and it still serves its partitions; stop it first (remove-broker
moves its partitions away, then stops it, then runs this).

Kafka 3.9 cannot list stopped brokers: there \`--check\` says it would unregister every broker named,
and a broker Kafka no longer knows (\`BrokerIdNotRegisteredException\`) counts as done, unchanged.

Undo does nothing to Kafka: there is no call to register a broker, it registers itself when it
starts. Rollback of remove-broker undoes this step first, then starts the broker again, which
registers it.

\`\`\`yaml
- name: Unregister the removed brokers
  hosts: "kafka:!kafka04"
  run_once: true
  kafka_unregister:
    brokers: 4
    bootstrap_server: kafka01:9092,kafka02:9092,kafka03:9092
\`\`\``,
  args,
  async check(ctx) {
    const bootstrap = bootstrapList(ctx.args.bootstrap_server);
    const known = await registrations(ctx.shell, bootstrap, ctx.args.kafka_home);
    const asked = ctx.args.brokers;
    if (known === undefined) {
      return { inSync: false, summary: `unregister broker(s) ${asked.join(', ')} where Kafka still knows them (Kafka 3.9 cannot list stopped brokers)`, observed: { ids: asked }, undo: { brokers: asked } };
    }
    const running = known.filter((b) => asked.includes(b.id) && !b.fenced).map((b) => b.id);
    if (running.length) {
      throw new TaskError(`broker(s) ${running.join(', ')} still running (unfenced): unregistering a live broker takes it out of the metadata while it serves`, { hint: 'stop it first (remove-broker moves its partitions away and stops it)' });
    }
    const ids = known.filter((b) => asked.includes(b.id)).map((b) => b.id);
    if (ids.length === 0) return { inSync: true, summary: `broker(s) ${asked.join(', ')} not registered` };
    return { inSync: false, summary: `unregister broker(s) ${ids.join(', ')} (stopped, still registered)`, observed: { ids }, undo: { brokers: ids } };
  },
  async apply(ctx, observed) {
    const bootstrap = bootstrapList(ctx.args.bootstrap_server);
    const done: number[] = [];
    for (const id of observed!.ids) {
      const r = await ctx.shell.run(sh`${findKafka(ctx.args.kafka_home)}
timeout 60 "$k/bin/kafka-cluster.sh" unregister --bootstrap-server ${bootstrap} --id ${id} 2>&1`, { check: false });
      if (r.code === 0) done.push(id);
      else if (!/BrokerIdNotRegistered/.test(r.stdout)) {
        throw new TaskError(`kafka-cluster.sh unregister --id ${id} failed (exit ${r.code}): ${r.stdout.trim().split('\n').slice(-3).join(' ')}`);
      }
    }
    ctx.log(done.length ? `unregistered broker(s) ${done.join(', ')}` : 'Kafka knew none of them any more');
    if (done.length === 0) return { changed: false };
  },
  async undo(ctx, record) {
    ctx.log(`broker(s) ${record.brokers.join(', ')} register again when they start (rollback of remove-broker starts them next)`);
  },
});
