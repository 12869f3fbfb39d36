// The public API for task modules (ours in tasks/ and a team's own): `import { defineTask, z, sh }
// from 'runbook'`. Keep it small; everything here is a promise to task authors.

export { z } from 'zod';
export { defineTask } from './task/types.js';
/** A task's check as the engine runs it (its probe, then its decision): for a task built of others (java). */
export { runCheck } from './task/check.js';
export type {
  ApplyResult,
  CheckResult,
  ControllerInfo,
  Facts,
  FileDiff,
  ProbeContext,
  TaskContext,
  TaskDefinition,
  UndoContext,
} from './task/types.js';
export { quote, argv, sh, raw, ShellText } from './shell/quote.js';
export { privateTempDir } from './shell/temp-dir.js';
export { HostShell, CommandError, parseStat, statScript } from './transport/host.js';
export { tempBeside, placeTemp, expectSize } from './transport/atomic-replace.js';
export type { FileStat, RunOptions, RunResult, WriteOptions } from './transport/host.js';
export type { Become } from './transport/types.js';
/** `transport.openTcp` where the host's sshd forwards no connection: a look falls back to the host's own tools. */
export { ForwardingRefused } from './transport/types.js';
export { TaskError, UserError, UnreachableError } from './errors.js';

// The task authors' SDK: the helpers every shipped task is built from (docs/tasks.md walks
// through them). A team's task imports them from 'runbook' exactly as ours do.

/** Arguments: `pathArg`, `modeArg`, `ownerArgs` (owner, group, mode) and how they compare with a probe. */
export * from './sdk/attrs.js';
/** Reading paths on the host in one round trip: `probeScript`, `parsePathState`, `splitSections`, the link guard. */
export * from './sdk/probe.js';
/** One file with wanted content and attributes: probe, plan (diff, undo record), atomic apply, undo. */
export * from './sdk/content-file.js';
/** Line edits of a text file as a pure function of its old text: `checkEdit`, `splitLines`, `insertArgs`. */
export * from './sdk/edit-file.js';
/** copy's and template's shared arguments and check: `putArgs`, `checkPut`. */
export * from './sdk/put-file.js';
/** Undo records for anything at a path, restore byte for byte, drift since the run: `priorOf`, `restore`, `driftOf`. */
export * from './sdk/prior.js';
/** The private, verified backup store on a host for big files and whole trees. */
export * from './sdk/backup-store.js';
/** Symlinks replaced atomically, real files refused unless forced: `checkLink`, `applyLink`. */
export * from './sdk/link.js';
/** Commands with creates/removes/unless guards and Ansible's register data: `runCommand`, `checkGuards`. */
export * from './sdk/command.js';
/** Checksum specs (`sha512:<hex>`, `sha512:<url>`) and Apache's checksum files. */
export * from './sdk/checksum.js';
/** Archive listings and the entries that would land outside the destination. */
export * from './sdk/archive.js';
/** File bytes as text without losing a byte (invalid UTF-8 kept through an edit). */
export * from './sdk/lossless-text.js';
/** Waiting on the controller between polls, ended at once by an interrupt: `sleep`, `waitUntil`. */
export * from './sdk/wait.js';
/** Restarting a systemd unit at most once per roll of a run, across kill -9 and resume: `restartScope`, `probeUnitRestart`, `restartUnit`. */
export * from './sdk/restart.js';
/** Moving a unit to another release by its install link, and telling which release it runs. */
export * from './sdk/install-switch.js';
/** One host's turn in a rolling operation (gate, restart or move, wait), and the way back. */
export * from './sdk/roll.js';
/** Kafka's command-line tools on a host (`findKafka`) and the argument shapes they take (`bootstrapArg`, `topicName`). */
export * from './sdk/kafka-tools.js';
/** `kafka-topics.sh --describe` as data, and what a rolling restart decides from it (`parseDescribe`, `restartRisks`). */
export * from './sdk/kafka-health.js';
/** Partitions, live brokers and the active controller, asked of the brokers with Kafka's protocol through a broker host's SSH connection (`readKafkaCluster`, `askBrokers`). */
export * from './sdk/kafka-cluster.js';
/** One connection to a broker or controller, as `askBrokers` hands it over: Metadata, DescribeConfigs, DescribeQuorum, ListPartitionReassignments, ApiVersions. */
export { KafkaConnection } from './sdk/kafka-connection.js';
export {
  CONFIG_SOURCE, type ConfigResource, type WireConfig, type WireMetadata, type WireTopic, type WirePartition, type WireBroker, type WireQuorum, type WireVoter, type WireReassignment, type WireReassignments,
} from './sdk/kafka-protocol.js';
/** ZooKeeper's `srvr` answer, asked with what the host has (`srvrScript`, `parseSrvr`). */
export * from './sdk/zookeeper-srvr.js';
/** The KRaft metadata quorum as its controllers report it: leader, voters, lag (`readQuorum`, `quorumGate`). */
export * from './sdk/kafka-quorum.js';
/** The cluster's metadata.version, and how far a release raises it (`readMetadataVersion`, `reaches`). */
export * from './sdk/kafka-features.js';
/** A vars file on the controller as Ansible reads one (YAML 1.1, Ansible Vault opened): `parseVarsFile`. */
export { parseVarsFile } from './load/vars-file.js';
/** The files a path written with templates may name once rendered (`vars/{{os}}.yml`): `possibleFiles`. */
export * from './sdk/possible-files.js';
/** KRaft log directories as data: what each `meta.properties` says (`readLogDirs`), cluster ids (`newClusterId`). */
export * from './sdk/kafka-storage.js';
