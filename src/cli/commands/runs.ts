// `runbook runs`: the project's run history; `runbook runs show <id>`: one run, host by host.

import type { Command } from 'commander';
import type { LoadedRun } from '../../journal/history.js';
import { formatTable } from '../../ui/table.js';
import { action } from '../action.js';

export function register(program: Command): void {
  const runs = program
    .command('runs')
    .description('list the runs of this project: id, runbook, start, duration, status, hosts ok/failed')
    .action(
      action(async () => {
        const [{ findProjectDir }, { loadRuns }, { hostOutcomes }] = await Promise.all([
          import('../../project/find.js'),
          import('../../journal/history.js'),
          import('../../journal/state.js'),
        ]);
        const damaged: string[][] = [];
        const all = await loadRuns(await findProjectDir(), (id, e) => damaged.push([id, '?', '?', '?', 'DAMAGED', e.message]));
        if (all.length === 0 && damaged.length === 0) {
          console.log('no runs yet');
          return;
        }
        const rows = all.map((run) => {
          const outcomes = [...hostOutcomes(run.state).values()];
          return [
            run.header.id,
            run.header.kind === 'rollback' ? `rollback of ${run.header.rollbackOf}` : run.header.runbook.name,
            run.header.startTime.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
            formatDuration(run.state.durationMs),
            run.state.status + (run.header.options.checkMode ? ' (check)' : ''),
            `${outcomes.filter((o) => o === 'ok').length} ok / ${outcomes.filter((o) => o === 'failed').length} failed`,
          ];
        });
        printTable(['ID', 'RUNBOOK', 'START', 'DURATION', 'STATUS', 'HOSTS'], [...rows, ...damaged].sort((a, b) => a[0].localeCompare(b[0])));
      }),
    );

  runs
    .command('show <id>')
    .description("show each host's steps and their states in one run")
    .option('--html <file>', 'also write the run as a self-contained page: a timeline (a row per host, a bar per step), the slowest steps, the recap, failures and diffs')
    .option('--junit <file>', 'also write the run as JUnit XML (a testsuite per host, a testcase per step)')
    .action(
      action(async (id: string, flags: { html?: string; junit?: string }) => {
        const [{ findProjectDir }, { loadRun, loadRuns }, { writeRunReports }] = await Promise.all([
          import('../../project/find.js'),
          import('../../journal/history.js'),
          import('../reports.js'),
        ]);
        const projectDir = await findProjectDir();
        printRun(await loadRun(projectDir, id));
        await writeRunReports(projectDir, id, flags);
        const rollbacks = (await loadRuns(projectDir)).filter((r) => r.header.rollbackOf === id);
        for (const r of rollbacks) console.log(`\nrolled back by ${r.header.id} (${r.state.status}): \`runbook runs show ${r.header.id}\``);
      }),
    );
}

function printRun(run: LoadedRun): void {
  const { header, state } = run;
  console.log(`run ${header.id}: ${header.kind === 'rollback' ? `rollback of ${header.rollbackOf}` : header.runbook.file}`);
  console.log(`status ${state.status}, started ${header.startTime}, ${formatDuration(state.durationMs)}, ${state.attempts} attempt(s)`);
  for (const d of run.damaged) console.log(`journal line ${d.line} is damaged (a crash mid-write) and was ignored`);
  for (const [host, steps] of state.hosts) {
    console.log(`\n${host}:`);
    for (const s of steps.values()) {
      const why = s.error?.message ?? s.reason;
      console.log(`  ${s.status.padEnd(11)} ${s.stepName}${s.ignored ? ' (ignored)' : ''}${why ? `: ${why}` : ''}`);
    }
    const reached = state.checkpoints.get(host);
    if (reached?.size) console.log(`  checkpoints reached: ${[...reached.keys()].join(', ')}`);
  }
}

function printTable(head: string[], rows: string[][]): void {
  process.stdout.write(formatTable(head, rows));
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
