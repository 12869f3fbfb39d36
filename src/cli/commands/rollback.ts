// runbook rollback [run-id] [--to <checkpoint>] [--check] [--force]: undo what a run changed,
// newest first, each host on its own.

import type { Command } from 'commander';
import { action } from '../action.js';
import { exitCodesHelp } from '../../engine/exit-codes.js';

interface RollbackFlags {
  to?: string;
  check?: boolean;
  force?: boolean;
  json?: boolean;
  extraVars: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('rollback')
    .description("undo a run's changes newest first (default: the latest run); running it again goes on where it stopped")
    .argument('[run-id]', 'a run id from `runbook runs` (default: the latest run that changed something)')
    .option('--to <checkpoint>', 'undo only the changes made after this checkpoint')
    .option('-C, --check', 'list what would be undone; change nothing')
    .option('--force', 'skip changes that cannot be undone instead of stopping before them')
    .option('-e, --extra-vars <vars>', 'give again the secret vars the journal does not keep (key=value or @file.yaml)', collect, [])
    .option('--json', "write the rollback's events as NDJSON on stdout (a host-result per change: its status and what was done), the rest on stderr")
    .addHelpText(
      'after',
      `\n${exitCodesHelp([
        ['ok', 'everything undone (or nothing to undo)'],
        'badInput',
        ['failed', 'an undo failed, or a change cannot be undone (no undo for its task, no undo: block)'],
        ['interrupted', 'interrupted (Ctrl-C, SIGTERM, SIGHUP): run it again to go on'],
        'internal',
      ])}`,
    )
    .action(action((id: string | undefined, flags: RollbackFlags) => rollback(id, flags)));
}

async function rollback(id: string | undefined, flags: RollbackFlags): Promise<number> {
  const [{ openProject }, { parseExtraVars }, { EXIT }, history, { reloadContext }, { acquireLock }, { rollbackRun }, session, { undoStepsRunner }, { JsonSink }, { RollbackLinesSink }, { RollbackTreeSink }] =
    await Promise.all([
      import('../context.js'),
      import('../../load/extra-vars.js'),
      import('../../engine/run.js'),
      import('../../journal/history.js'),
      import('../../journal/context.js'),
      import('../../journal/lock.js'),
      import('../../journal/rollback.js'),
      import('../../journal/session.js'),
      import('../../journal/undo-steps.js'),
      import('../../ui/json.js'),
      import('../../ui/rollback-lines.js'),
      import('../../ui/rollback-tree.js'),
    ]);
  // With --json, stdout carries the events only.
  const say = (m: string) => void (flags.json ? process.stderr : process.stdout).write(`${m}\n`);
  // A live tree, a host per branch, on a terminal; a line per change otherwise.
  const sink = flags.json ? new JsonSink((text) => void process.stdout.write(text)) : process.stdout.isTTY ? new RollbackTreeSink() : new RollbackLinesSink(say);
  const warn = (m: string) => void process.stderr.write(`warning: ${m}\n`);
  const project = await openProject();
  // A re-run that found everything in sync changed nothing: the run to undo is the one before it.
  // One that was rolled back already is still chosen (rolling back twice never reaches further).
  const run = await history.chooseRun(project.dir, id, (r) => r.header.kind === 'play' && !r.header.options.checkMode && r.state.changes.length > 0, 'run to roll back');
  const context = await reloadContext(run.header, await parseExtraVars(flags.extraVars), project);
  if (context.runbook.hash !== run.header.runbook.hash) {
    warn(`${run.header.runbook.file} changed since run ${run.header.id}; undo: steps are taken from it as it is now`);
  }
  const lock = flags.check ? undefined : acquireLock(project.dir, `rollback of ${run.header.id}`, warn);
  const interrupt = session.interruptOnSignals((m) => void process.stderr.write(`${m}\n`));
  try {
    const connect = {};
    const result = await rollbackRun({
      projectDir: project.dir,
      runId: run.header.id,
      to: flags.to,
      check: flags.check ?? false,
      force: flags.force ?? false,
      ...context,
      connect,
      runUndoSteps: undoStepsRunner({ ...context, projectDir: project.dir, runId: run.header.id, connect }),
      argv: process.argv.slice(2),
      signal: interrupt.signal,
      sinks: [sink],
      out: say,
    });
    if (interrupt.signal.aborted) {
      say(`rollback interrupted; \`runbook rollback ${run.header.id}\` goes on with it`);
      return EXIT.interrupted;
    }
    if (result.id) say(`rollback ${result.id} of run ${run.header.id}: ${result.undone} undone, ${result.failed} failed, ${result.blocked} not reversible`);
    return result.failed + result.blocked > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    interrupt.dispose();
    lock?.release();
  }
}
