// The terminal view: each step a listr2 task with one sub-item per host, updated as results come
// in. Steps run one after another (strategy linear), so one listr tree is drawn per step and
// left on screen when the step ends; diffs are printed under it.

import { Listr } from 'listr2';
import type { EventSink, RunEvent } from '../engine/events.js';
import { checkpointLine, diffText, endText, outcome, printable, type HostResult } from './lines.js';

interface OpenStep {
  /** Resolves a host's pending result; made before listr starts the host's item, so none is missed. */
  results: Map<string, (e: HostResult) => void>;
  logs: Map<string, (message: string) => void>;
  diffs: string[];
  done: Promise<unknown>;
}

export class TreeSink implements EventSink {
  private step?: OpenStep;

  constructor(private readonly write: (text: string) => void) {}

  async emit(e: RunEvent): Promise<void> {
    switch (e.type) {
      case 'run-start':
        this.write(`PLAY [${e.runbook}] on ${e.hosts.join(', ') || 'no hosts'}${e.checkMode ? ' (check mode: nothing is changed)' : ''}\n`);
        break;
      case 'step-start':
        this.step = this.open(e.stepName, e.hosts);
        break;
      case 'host-log':
        this.step?.logs.get(e.host)?.(e.message);
        break;
      case 'host-result': {
        const diff = diffText(e);
        if (diff) this.step?.diffs.push(diff);
        this.step?.results.get(e.host)?.(e);
        break;
      }
      case 'step-end':
        if (this.step) {
          await this.step.done;
          this.write(this.step.diffs.join(''));
          this.step = undefined;
        }
        break;
      case 'checkpoint':
        this.write(checkpointLine(e));
        break;
      case 'run-end':
        this.write(endText(e));
        break;
    }
  }

  private open(title: string, hosts: string[]): OpenStep {
    const results = new Map<string, (e: HostResult) => void>();
    const pending = new Map(hosts.map((host) => [host, new Promise<HostResult>((resolve) => results.set(host, resolve))]));
    const logs = new Map<string, (message: string) => void>();
    const listr = new Listr(
      [
        {
          title,
          task: (_ctx, step) =>
            step.newListr(
              hosts.map((host) => ({
                title: host,
                task: async (_c, t) => {
                  logs.set(host, (message) => (t.output = printable(message)));
                  const e = await pending.get(host)!;
                  const { label, detail } = outcome(e);
                  if (e.status === 'skipped') return t.skip(`${host}: ${label}${detail}`);
                  t.title = `${host}: ${label}${detail}`;
                  if ((e.status === 'failed' && !e.ignored) || e.status === 'unreachable') throw new Error(`${host}: ${label}${detail}`);
                },
              })),
              { concurrent: true, exitOnError: false },
            ),
        },
      ],
      { exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseSkips: false, showErrorMessage: true } },
    );
    return { results, logs, diffs: [], done: listr.run().catch(() => undefined) };
  }
}
