// runbook play <runbook>: run a runbook over an inventory, journaled, with the terminal view (or
// plain lines, or --json events) and the recap.

import type { Command } from 'commander';
import { action } from '../action.js';
import { exitCodesHelp } from '../../engine/exit-codes.js';

interface PlayFlags {
  inventory?: string;
  check?: boolean;
  diff?: boolean;
  limit?: string;
  forks: string;
  tags: string[];
  skipTags: string[];
  extraVars: string[];
  json?: boolean;
  acceptNewHostKeys?: boolean;
  rollbackOnFailure?: boolean;
  detailedExitcode?: boolean;
  step: string[];
  startAtStep?: string;
  junit?: string;
  confirm?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const tagList = (value: string, previous: string[]) => [...previous, ...value.split(',').map((t) => t.trim()).filter(Boolean)];

export function register(program: Command): void {
  program
    .command('play')
    .description('run a runbook (a name on the search path, see `runbook list`, or a path) over the hosts of an inventory')
    .argument('<runbook>', 'runbook name in runbooks/ (with or without .yaml) or a path')
    .option('-i, --inventory <path>', 'inventory file (YAML or Ansible INI); default: the one runbook.yaml names, else localhost over connection local')
    .option('-C, --check', 'only check: report what would change, change nothing')
    .option('-D, --diff', 'show unified diffs of file changes')
    .option('-l, --limit <pattern>', 'only these hosts (host, group or pattern)')
    .option('-f, --forks <n>', 'at most this many hosts at once', '10')
    .option('-t, --tags <tags>', 'only steps with these tags (comma-separated, repeatable)', tagList, [])
    .option('--skip-tags <tags>', 'skip steps with these tags (comma-separated, repeatable)', tagList, [])
    .option('--step <name>', "only the steps with this name (a glob: 'Write *'; repeatable; steps of included runbooks too)", collect, [])
    .option('--start-at-step <name>', "leave out the steps before the first with this name (or this checkpoint), as Ansible's --start-at-task")
    .option('-e, --extra-vars <vars>', 'key=value, a YAML/JSON mapping, or @file.yaml (repeatable; highest precedence)', collect, [])
    .option('--json', 'write every event as NDJSON on stdout instead of the human view')
    .option('--rollback-on-failure', "when a host fails, undo its changes back to the last checkpoint it reached (as the runbook's on_failure: rollback)")
    .option('--detailed-exitcode', 'exit 3 when a host changed (with --check: would change), 0 only when everything is in sync; for drift checks in cron and CI')
    .option('--confirm', 'before each step that would change something, show what it would do on each host (with diffs) and ask: apply, skip, all, quit')
    .option('--junit <file>', 'write the run as JUnit XML when it ends (a testsuite per host, a testcase per step), for CI systems')
    .option('--accept-new-host-keys', 'record host keys of hosts not yet in known_hosts (like StrictHostKeyChecking=accept-new)')
    .addHelpText('after', `\n${exitCodesHelp(['ok', 'badInput', 'failed', 'changes', 'unreachable', 'interrupted', 'internal'])}`)
    .action(action((ref: string, flags: PlayFlags) => play(ref, flags)));
}

async function play(ref: string, flags: PlayFlags): Promise<number> {
  const forks = Number(flags.forks);
  if (!Number.isInteger(forks) || forks < 1) {
    const { UserError } = await import('../../errors.js');
    throw new UserError('usage', `--forks ${flags.forks}: expected a whole number of at least 1`);
  }
  const [{ openProject, loadPlayInput }, { parseExtraVars }, session, { playJournaled, planRun }, sinks, { terminalConfirm }] = await Promise.all([
    import('../context.js'),
    import('../../load/extra-vars.js'),
    import('../../journal/session.js'),
    import('../../journal/journaled-play.js'),
    import('../sinks.js'),
    import('../confirm-prompt.js'),
  ]);
  const extraVars = await parseExtraVars(flags.extraVars);
  const project = await openProject();
  const { runbook, inventory } = await loadPlayInput(project, ref, flags.inventory);
  const confirm = terminalConfirm(flags, runbook);
  const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
  const options = {
    checkMode: flags.check ?? false,
    diff: flags.diff ?? false,
    limit: flags.limit,
    tags: flags.tags,
    skipTags: flags.skipTags,
    forks,
    rollbackOnFailure: flags.rollbackOnFailure ?? false,
    ...(flags.step.length ? { steps: flags.step } : {}),
    ...(flags.startAtStep !== undefined ? { startAtStep: flags.startAtStep } : {}),
  };
  // Plan errors (a missing variable, a bad arg) must not leave a run behind: planned before the
  // run directory is made, and this plan is the one the engine runs.
  const context = { runbook, inventory, registry: project.registry, extraVars };
  const plan = await planRun(context, options);
  const argv = process.argv.slice(2);
  const run = await session.beginRun({ projectDir: project.dir, runbook, inventory, extraVars, flags: options, argv, warn });
  // The journal runs the play: Ctrl-C handling, then on failure a rollback or the resume command.
  const result = await playJournaled({
    session: run,
    context,
    plan,
    flags: options,
    projectDir: project.dir,
    sinks: [await sinks.terminalSink({ json: flags.json ?? false, strategy: runbook.strategy })],
    connect: { acceptNewHostKeys: flags.acceptNewHostKeys ?? false },
    rollbackOnFailure: options.rollbackOnFailure,
    confirm,
    argv,
    say: (m) => void process.stderr.write(`${m}\n`),
  });
  if (flags.junit) await (await import('../reports.js')).writeRunReports(project.dir, run.id, { junit: flags.junit });
  // Terraform's flag: "in sync" and "drifted" must differ for a cron job, and never look like a failure.
  const changed = Object.values(result.recap).some((r) => r.changed > 0);
  if (flags.detailedExitcode && result.exitCode === 0 && changed) return (await import('../../engine/exit-codes.js')).EXIT.changes;
  return result.exitCode;
}
