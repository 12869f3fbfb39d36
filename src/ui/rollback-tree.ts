// Rollback's terminal view: a listr2 task per host, running side by side as the rollback's hosts
// do, each listing under its name the sentences of the changes undone so far (what
// RollbackLinesSink says, by host), with the progress line of the undo at work (a broker's roll
// back waiting for its ISRs) beside the name. The tree stays on screen when the rollback ends; the
// command then says the closing count.

import { Listr } from 'listr2';
import type { EventSink, RunEvent } from '../engine/events.js';
import { printable } from './lines.js';

interface HostView {
  undone: number;
  failed: number;
  /** Where the host's task shows a line: listr keeps each line given as output (outputBar Infinity). */
  show?: (line: string) => void;
  /** Where the host's task shows the undo at work's progress: beside the host's name. */
  working?: (line: string) => void;
  /** Lines said before listr started the host's task. */
  early: string[];
}

export class RollbackTreeSink implements EventSink {
  private readonly hosts = new Map<string, HostView>();
  private ended?: () => void;
  private drawn?: Promise<void>;

  emit(e: RunEvent): Promise<void> | void {
    switch (e.type) {
      case 'run-start':
        this.open(e.hosts, e.checkMode);
        break;
      case 'host-log':
        this.hosts.get(e.host)?.working?.(printable(e.message));
        break;
      case 'host-result': {
        const view = this.hosts.get(e.host);
        if (!view || e.summary === undefined) break;
        const line = printable(e.summary);
        if (e.status === 'changed') view.undone += 1;
        if (e.status === 'failed' || e.status === 'unreachable') view.failed += 1;
        if (view.show) view.show(line);
        else view.early.push(line);
        view.working?.('');
        break;
      }
      case 'run-end':
        this.ended?.();
        return this.drawn;
    }
  }

  private open(hosts: string[], checkMode: boolean): void {
    const end = new Promise<void>((resolve) => (this.ended = resolve));
    for (const host of hosts) this.hosts.set(host, { undone: 0, failed: 0, early: [] });
    const listr = new Listr(
      hosts.map((host) => ({
        title: host,
        task: async (_ctx, t) => {
          const view = this.hosts.get(host)!;
          view.show = (line) => (t.output = line);
          view.working = (line) => (t.title = line ? `${host}: ${line}` : host);
          for (const line of view.early.splice(0)) view.show(line);
          await end;
          t.title = `${host}: ${view.undone} ${checkMode ? 'to undo' : 'undone'}${view.failed ? `, ${view.failed} ${checkMode ? 'refused' : 'failed'}` : ''}`;
          // Marks the host failed (red); the lines above say why.
          if (view.failed) throw new Error(t.title);
        },
        rendererOptions: { outputBar: Infinity, persistentOutput: true },
      })),
      { concurrent: true, exitOnError: false, rendererOptions: { showErrorMessage: false } },
    );
    this.drawn = listr.run().then(
      () => undefined,
      () => undefined,
    );
  }
}
