// runbook resume [run-id] [--from <step|checkpoint>] [--force]: go on with a failed or interrupted
// run, with the runbook, inventory, vars and flags it was started with, in the same journal.

import type { Command } from 'commander';
import { action } from '../action.js';

interface ResumeFlags {
  from?: string;
  force?: boolean;
  extraVars: string[];
  json?: boolean;
  junit?: string;
  confirm?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('resume')
    .description('continue the latest failed or interrupted run (or the one named) where it stopped')
    .argument('[run-id]', 'a run id from `runbook runs` (default: the latest failed or interrupted run)')
    .option('--from <step|checkpoint>', 'run again from this step (id or name) or checkpoint on; steps before it stay skipped')
    .option('--force', 'resume although the runbook or inventory changed since the run started')
    .option('-e, --extra-vars <vars>', 'give again the secret vars the journal does not keep (key=value or @file.yaml)', collect, [])
    .option('--json', 'write every event as NDJSON on stdout instead of the human view')
    .option('--confirm', 'ask before each step that would change something, as `runbook play --confirm`')
    .option('--junit <file>', 'write the whole run (every attempt) as JUnit XML when it ends')
    .action(action((id: string | undefined, flags: ResumeFlags) => resume(id, flags)));
}

async function resume(id: string | undefined, flags: ResumeFlags): Promise<number> {
  const [{ openProject }, { parseExtraVars }, { terminalSink }, { UserError }, history, { reloadContext }, resumeLib, session, { playJournaled, planRun }, redact, { terminalConfirm }] =
    await Promise.all([
      import('../context.js'),
      import('../../load/extra-vars.js'),
      import('../sinks.js'),
      import('../../errors.js'),
      import('../../journal/history.js'),
      import('../../journal/context.js'),
      import('../../journal/resume.js'),
      import('../../journal/session.js'),
      import('../../journal/journaled-play.js'),
      import('../../journal/redact.js'),
      import('../confirm-prompt.js'),
    ]);
  const say = (m: string) => void process.stderr.write(`${m}\n`);
  const project = await openProject();
  const run = await history.chooseRun(
    project.dir,
    id,
    (r) => r.header.kind === 'play' && r.records.length > 0 && (r.state.status === 'failed' || r.state.status === 'interrupted'),
    'failed or interrupted run to resume',
  );
  const { header, state } = run;
  if (header.kind !== 'play') {
    throw new UserError('usage', `run ${header.id} is a rollback`, { hint: `\`runbook rollback ${header.rollbackOf}\` goes on with it` });
  }
  if (state.status === 'ok') throw new UserError('usage', `run ${header.id} finished ok: nothing to resume`);
  if (state.status === 'running') throw new UserError('usage', `run ${header.id} is still running (pid ${header.pid})`);
  for (const d of run.damaged) say(`journal line ${d.line} of run ${header.id} is damaged (the controller died mid-write); ignored`);

  const given = await parseExtraVars(flags.extraVars);
  const context = await reloadContext(header, given, project);
  const confirm = terminalConfirm({ confirm: flags.confirm, check: header.options.checkMode, json: flags.json }, context.runbook);
  for (const problem of resumeLib.checkUnchanged(header, context.runbook, context.inventory, flags.force ?? false)) {
    say(`warning: --force: ${problem}`);
  }
  const secret = redact.redactVars(given, context.runbook).redacted;
  const argv = redact.redactArgv(process.argv.slice(2), secret, secret.map((name) => given[name]));
  const journaled = await session.continueRun(project.dir, header.id, { argv, from: flags.from, force: flags.force }, (m) => say(`warning: ${m}`));
  say(`resuming run ${header.id}${flags.from ? ` from ${flags.from}` : ''}`);
  const result = await playJournaled({
    session: journaled,
    context,
    plan: await planRun(context, header.options),
    flags: header.options,
    projectDir: project.dir,
    sinks: [await terminalSink({ json: flags.json ?? false, strategy: context.runbook.strategy })],
    resume: resumeLib.doneSteps(state, (await history.undoneChanges(project.dir, header.id)).steps),
    fromStep: flags.from,
    rollbackOnFailure: header.options.rollbackOnFailure ?? false,
    confirm,
    argv,
    say,
  });
  if (flags.junit) await (await import('../reports.js')).writeRunReports(project.dir, header.id, { junit: flags.junit });
  return result.exitCode;
}
