// The report files a run can be written as, from its journal alone: `--junit` (play, resume,
// runs show) and `--html` (runs show). Written once the run is over, also when it failed: that is
// when a CI system wants them most.

import { writeFile } from 'node:fs/promises';

export interface ReportFiles {
  junit?: string;
  html?: string;
}

export async function writeRunReports(projectDir: string, runId: string, files: ReportFiles): Promise<void> {
  if (!files.junit && !files.html) return;
  const [{ loadRun }, { runReport, stepOutcomes }] = await Promise.all([import('../journal/history.js'), import('../journal/report.js')]);
  const run = await loadRun(projectDir, runId);
  const report = runReport(run);
  const outcomes = stepOutcomes(run, report);
  if (files.junit) {
    const { junitXml } = await import('../ui/junit.js');
    await writeFile(files.junit, junitXml(report, outcomes));
  }
  if (files.html) {
    const { runHtml } = await import('../ui/run-html.js');
    await writeFile(files.html, runHtml(report, outcomes));
  }
}
