// Reading one host for `runbook status`, read-only, in one round trip: its ZooKeeper and Kafka
// units (active, enabled), what the running processes really use (heap flags and config file from
// /proc/<pid>/cmdline, the release from the jar they hold open, Java from their JDK's release
// file), the data directories' disk use, ZooKeeper's `srvr` answer and whether each advertised
// listener accepts a connection. Which roles a host has comes from the inventory's groups; the
// values come from the host, so a status shows what runs, not what the runbooks meant to write.

import { raw, sh, type ShellText } from '../shell/quote.js';
import type { HostShell } from '../transport/host.js';
import { SECTION_FUNCTION, splitSections } from '../sdk/probe.js';
import { parseSrvr, srvrScript } from '../sdk/zookeeper-srvr.js';
import type { DataDir, KafkaFacts, ZookeeperFacts } from './report.js';

export interface HostRoles {
  /** The member's client port (the inventory's zookeeper_client_port, else 2181), when it is in the zookeeper group. */
  zookeeper?: { unit: string; clientPort: number; configFallback: string; home: string };
  /** When it is in the kafka or controller group (a broker, a KRaft controller, or both). */
  kafka?: { unit: string; brokerId?: number; configFallback: string };
  /** The name the cluster knows the host by (the inventory name, in /etc/hosts on every member). */
  name: string;
}

export interface HostProbe {
  java?: string;
  zookeeper?: ZookeeperFacts;
  kafka?: Omit<KafkaFacts, 'registered' | 'active_controller'>;
}

/**
 * Shell functions the probe is written with; `set -f` keeps a config value from globbing (rb_proc
 * globs /proc itself). The config path comes from the process's command line, which its user can
 * set (an exec in place keeps the pid): every command given it as an operand gets `--` first, and
 * the file is read as that user (rb_read), so the service cannot have root read what it may not.
 */
const FUNCTIONS = raw(`set -f
rb_proc() {
  cfg=; jh=; pu=; pg=
  printf 'active=%s\\nenabled=%s\\n' "$(systemctl is-active -- "$1" 2>/dev/null)" "$(systemctl is-enabled -- "$1" 2>/dev/null)"
  pid=$(systemctl show -p MainPID --value -- "$1" 2>/dev/null)
  [ "\${pid:-0}" -gt 0 ] 2>/dev/null || return 0
  pu=$(stat -c %u /proc/"$pid") pg=$(stat -c %g /proc/"$pid")
  tr '\\000' '\\n' < /proc/"$pid"/cmdline | sed -n 's/^-Xms/xms=/p; s/^-Xmx/xmx=/p'
  cfg=$(tr '\\000' '\\n' < /proc/"$pid"/cmdline | tail -n 1)
  case $cfg in /*) ;; *) cfg=$(readlink /proc/"$pid"/cwd)/$cfg ;; esac
  exe=$(readlink /proc/"$pid"/exe); jh=\${exe%/bin/java}
  set +f; for f in /proc/"$pid"/fd/*; do readlink "$f"; done 2>/dev/null | sed -n "$2" | head -n 1; set -f
}
rb_me=$(id -u)
rb_read() { if [ "$rb_me" = 0 ] && [ "\${pu:-0}" != 0 ]; then setpriv --reuid="$pu" --regid="$pg" --clear-groups -- "$@"; else "$@"; fi; }
rb_java() { [ -n "$jh" ] && sed -n 's/^JAVA_VERSION="\\(.*\\)"$/java=\\1/p' -- "$jh/release" 2>/dev/null; }
rb_df() { printf '%s\\t%s\\n' "$1" "$(df -P -k -- "$1" 2>&1 | tail -n 1)"; }
rb_tcp() { if timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' tcp "$1" "$2" 2>/dev/null; then echo yes; else echo no; fi; }
`);

function zookeeperScript(z: NonNullable<HostRoles['zookeeper']>, name: string): ShellText {
  return sh`rb_section zookeeper; rb_proc ${z.unit} 's#.*/lib/zookeeper-\\([0-9][^/]*\\)\\.jar$#version=\\1#p'; rb_java
[ -n "$cfg" ] || cfg=${z.configFallback}
rb_section zookeeper-config; rb_read grep -E '^(dataDir|dataLogDir)=' -- "$cfg" 2>/dev/null
rb_section zookeeper-disk
for d in $(rb_read sed -n 's/^dataDir=//p; s/^dataLogDir=//p' -- "$cfg" 2>/dev/null | sort -u); do rb_df "$d"; done
rb_section srvr
${srvrScript(name, z.clientPort, 2, z.home)}
`;
}

function kafkaScript(k: NonNullable<HostRoles['kafka']>): ShellText {
  return sh`rb_section kafka; rb_proc ${k.unit} 's#.*/libs/kafka-clients-\\([^/]*\\)\\.jar$#version=\\1#p'; rb_java
[ -n "$cfg" ] || cfg=${k.configFallback}
rb_section kafka-config; rb_read grep -E '^(broker\\.id|node\\.id|process\\.roles|log\\.dirs?|listeners|advertised\\.listeners)=' -- "$cfg" 2>/dev/null
rb_section kafka-disk
dirs=$(rb_read sed -n 's/^log\\.dirs\\{0,1\\}=//p' -- "$cfg" 2>/dev/null | tail -n 1)
IFS=,; for d in $dirs; do rb_df "$d"; done
adv=$(rb_read sed -n 's/^advertised\\.listeners=//p' -- "$cfg" 2>/dev/null | tail -n 1)
[ -n "$adv" ] || adv=$(rb_read sed -n 's/^listeners=//p' -- "$cfg" 2>/dev/null | tail -n 1)
rb_section kafka-listeners
for l in $adv; do hp=\${l#*://}; h=\${hp%:*}; h=\${h#[}; h=\${h%]}; printf '%s\\t%s\\n' "$l" "$(rb_tcp "\${h:-127.0.0.1}" "\${hp##*:}")"; done
IFS=' '
`;
}

/** The whole probe for a host with these roles. */
export function hostScript(roles: HostRoles): ShellText {
  return sh`${SECTION_FUNCTION}${FUNCTIONS}${roles.zookeeper ? zookeeperScript(roles.zookeeper, roles.name) : sh``}${roles.kafka ? kafkaScript(roles.kafka) : sh``}`;
}

function keyValues(text: string | undefined): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  return kv;
}

/** `df -P -k` lines, one per directory, each after the directory and a tab. */
function parseDisk(text: string | undefined): DataDir[] {
  return (text ?? '')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((line) => {
      const [path, df] = [line.slice(0, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)];
      // Filesystem 1024-blocks Used Available Capacity Mounted-on; the filesystem name may hold spaces.
      const m = /\s(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+\S.*$/.exec(df);
      if (!m) return { path, error: df.replace(/^df: /, '').trim() || 'no answer from df' };
      return { path, used_percent: Number(m[4]), available_bytes: Number(m[3]) * 1024 };
    });
}

function unitOf(name: string, kv: Map<string, string>) {
  return { name, active: kv.get('active') ?? '', enabled: kv.get('enabled') ?? '' };
}

function heapOf(kv: Map<string, string>) {
  const heap = { ...(kv.has('xms') ? { xms: kv.get('xms')! } : {}), ...(kv.has('xmx') ? { xmx: kv.get('xmx')! } : {}) };
  return Object.keys(heap).length ? { heap } : {};
}

/** The host's facts from the probe's output. */
export function parseHostProbe(out: string, roles: HostRoles): HostProbe {
  const sections = splitSections(out);
  const probe: HostProbe = {};
  if (roles.zookeeper) {
    const kv = keyValues(sections.get('zookeeper'));
    const srvrText = sections.get('srvr') ?? '';
    const srvr = parseSrvr(srvrText);
    const version = srvr.version ?? kv.get('version');
    probe.zookeeper = {
      unit: unitOf(roles.zookeeper.unit, kv),
      ...(version ? { version } : {}),
      ...(srvr.mode ? { mode: srvr.mode } : { error: srvrText.trim().split('\n').slice(-1)[0] || 'no answer to srvr' }),
      ...(srvr.outstanding !== undefined ? { outstanding: srvr.outstanding } : {}),
      ...(srvr.node_count !== undefined ? { node_count: srvr.node_count } : {}),
      ...(srvr.connections !== undefined ? { connections: srvr.connections } : {}),
      client_port: roles.zookeeper.clientPort,
      data_dirs: parseDisk(sections.get('zookeeper-disk')),
      ...heapOf(kv),
    };
    if (kv.has('java')) probe.java = kv.get('java');
  }
  if (roles.kafka) {
    const kv = keyValues(sections.get('kafka'));
    const config = keyValues(sections.get('kafka-config'));
    const idKey = config.has('broker.id') ? 'broker.id' : 'node.id';
    const configured = config.has(idKey) ? Number(config.get(idKey)) : undefined;
    const brokerId = roles.kafka.brokerId ?? configured;
    probe.kafka = {
      unit: unitOf(roles.kafka.unit, kv),
      ...(kv.has('version') ? { version: kv.get('version')! } : {}),
      ...(brokerId !== undefined && Number.isInteger(brokerId) ? { broker_id: brokerId } : {}),
      ...(config.has('process.roles') ? { process_roles: config.get('process.roles')! } : {}),
      listeners: (sections.get('kafka-listeners') ?? '')
        .split('\n')
        .filter((l) => l.includes('\t'))
        .map((l) => ({ listener: l.slice(0, l.indexOf('\t')), reachable: l.endsWith('\tyes') })),
      data_dirs: parseDisk(sections.get('kafka-disk')),
      ...heapOf(kv),
    };
    if (kv.has('java')) probe.java ??= kv.get('java');
  }
  return probe;
}

/** Probes the host; the shell must be root's (other users' /proc/<pid>/fd). */
export async function probeHost(shell: HostShell, roles: HostRoles): Promise<HostProbe> {
  const r = await shell.run(hostScript(roles), { check: false, timeoutMs: 30_000 });
  return parseHostProbe(r.stdout, roles);
}
