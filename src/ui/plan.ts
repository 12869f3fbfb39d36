// `runbook show`: the plan as text, host by host.

import type { Plan, PlannedStep } from '../engine/plan.js';
import { isSecretName, MASK } from '../engine/redact.js';
import type { Inventory, Vars } from '../model.js';

// Derived vars every host has; shown once as the host's groups, not dumped per host.
const HIDDEN = new Set(['groups', 'hostvars', 'inventory_hostname', 'group_names']);

export function formatPlan(plan: Plan, inventory: Inventory): string {
  const { runbook } = plan;
  const out: string[] = [];
  out.push(`PLAY ${runbook.name} (${runbook.file})`);
  if (runbook.description) out.push(`  ${runbook.description}`);
  out.push(`  hosts: ${plan.hosts.join(', ') || '(none)'}`);
  out.push(`  strategy: ${runbook.strategy}${runbook.serial !== undefined ? `, serial: ${runbook.serial}` : ''}`);
  for (const host of plan.hosts) {
    const ih = inventory.hosts.get(host)!;
    out.push('');
    const target = ih.connection === 'local' ? 'local' : `ssh ${ih.user ? `${ih.user}@` : ''}${ih.address}${ih.port ? `:${ih.port}` : ''}`;
    out.push(`HOST ${host} (${target}${ih.become ? ', become' : ''})`);
    const vars = plan.varsFor(host, {});
    out.push(`  groups: ${((vars['group_names'] as string[] | undefined) ?? []).join(', ') || '(none)'}`);
    out.push('  vars:');
    for (const [name, value] of Object.entries(secretsMasked(plan, vars)).sort(([a], [b]) => a.localeCompare(b))) {
      if (!HIDDEN.has(name)) out.push(`    ${name}: ${JSON.stringify(value)}`);
    }
    out.push('  steps:');
    let n = 0;
    for (const item of plan.items) {
      if (item.kind === 'checkpoint') out.push(`    -- checkpoint ${item.name}`);
      else if (item.kind === 'flush_handlers') out.push('    -- flush handlers');
      else if (item.planned.perHost.has(host)) out.push(...stepLines(plan, item.planned, host, ++n));
    }
    const handlers = plan.handlers.filter((h) => h.perHost.has(host));
    if (handlers.length) {
      out.push('  handlers (when notified):');
      handlers.forEach((h, i) => out.push(...stepLines(plan, h, host, i + 1)));
    }
  }
  return out.join('\n') + '\n';
}

function stepLines(plan: Plan, planned: PlannedStep, host: string, n: number): string[] {
  const { step } = planned;
  const hp = planned.perHost.get(host)!;
  const lines = [`    ${n}. ${step.name} [${step.task}]${hp.skip ? ` (skipped: ${hp.skip})` : ''}`];
  const flags = [
    step.when !== undefined && !hp.skip ? `when: ${step.when}` : '',
    step.become !== undefined ? `become: ${step.become}${hp.becomeUser ? ` (${hp.becomeUser})` : ''}` : '',
    step.tags.length ? `tags: ${step.tags.join(',')}` : '',
    step.register ? `register: ${step.register}` : '',
    step.notify.length ? `notify: ${step.notify.join(', ')}` : '',
    step.runOnce ? 'run_once' : '',
    step.throttle !== undefined ? `throttle: ${step.throttle}` : '',
    step.until !== undefined ? `until: ${step.until} (retries ${step.retries ?? 3}, delay ${step.delay ?? 5}s)` : '',
    step.ignoreErrors ? 'ignore_errors' : '',
    step.noLog ? 'no_log' : '',
  ].filter(Boolean);
  if (flags.length) lines.push(`         ${flags.join('; ')}`);
  if (hp.skip) return lines;
  if (step.noLog) {
    lines.push('         args: hidden (no_log)');
    return lines;
  }
  if (!hp.calls) lines.push('         args: rendered at run time (they use a registered result)');
  else {
    for (const call of hp.calls) {
      const prefix = call.item ? `item ${JSON.stringify(plan.redactor.value(call.item.value))}: ` : 'args: ';
      lines.push(`         ${prefix}${JSON.stringify(plan.redactor.value(call.args))}`);
    }
  }
  return lines;
}

function secretsMasked(plan: Plan, vars: Vars): Vars {
  const masked = { ...plan.redactor.value(vars) };
  for (const name of Object.keys(masked)) if (plan.runbook.vars[name]?.secret || isSecretName(name)) masked[name] = MASK;
  return masked;
}
