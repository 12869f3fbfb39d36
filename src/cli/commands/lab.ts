// `runbook lab up|down|status|ssh`: throwaway Debian hosts on this machine (see src/lab).

import type { Command } from 'commander';
import { action } from '../action.js';

const say = (line: string) => console.error(`lab: ${line}`);

export function register(program: Command): void {
  const lab = program
    .command('lab')
    .description('throwaway Debian hosts on this machine (systemd + sshd, Linux and root only) to try runbooks on');

  lab
    .command('up')
    .description('boot a lab (kafka01..kafkaNN) and write its inventory; reuses a lab already up with the same size')
    .option('--hosts <n>', 'number of hosts', '3')
    .option('--name <name>', 'lab name', 'lab')
    .action(
      action(async (opts: { hosts: string; name: string }) => {
        const { labUp } = await import('../../lab/index.js');
        const started = Date.now();
        const info = await labUp({ hosts: Number(opts.hosts), name: opts.name, log: say });
        say(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        for (const h of info.hosts) console.log(`${h.name}\t${h.address}`);
        console.log(`inventory:   ${info.inventory}`);
        console.log(`ssh key:     ${info.privateKey}`);
        console.log(`known_hosts: ${info.knownHosts}`);
        console.log(`mirror:      ${info.mirrorUrl}`);
        console.log(`apt proxy:   ${info.aptProxyUrl}`);
        console.log(`try:         runbook lab ssh ${info.hosts[0].name}${opts.name === 'lab' ? '' : ` --name ${opts.name}`}`);
      }),
    );

  lab
    .command('down')
    .description('stop everything the lab started and remove everything it made (safe to repeat)')
    .option('--name <name>', 'lab name', 'lab')
    .action(
      action(async (opts: { name: string }) => {
        const { labDown } = await import('../../lab/index.js');
        if (!(await labDown({ name: opts.name, log: say }))) say(`no lab named '${opts.name}' was up`);
      }),
    );

  lab
    .command('status')
    .description("every lab on this machine: each host's systemd state, the apt proxy and the mirror")
    .action(
      action(async () => {
        const { labStatus } = await import('../../lab/index.js');
        const labs = await labStatus();
        if (labs.length === 0) console.log('no lab is up');
        for (const l of labs) {
          console.log(`lab ${l.name}: inventory ${l.inventory}`);
          console.log(`  apt proxy ${l.aptProxyUrl} ${l.aptProxyRunning ? 'running' : 'DOWN'}, mirror ${l.mirrorUrl} ${l.mirrorRunning ? 'running' : 'DOWN'}`);
          for (const h of l.hosts) console.log(`  ${h.name}\t${h.address}\t${h.state}`);
          // What a killed run or a reboot leaves behind: the lab's state with nothing running.
          if (!l.aptProxyRunning && !l.mirrorRunning && l.hosts.every((h) => h.state === 'down')) {
            console.log(`  nothing of it is running (a reboot, or a killed run): \`runbook lab down${l.name === 'lab' ? '' : ` --name ${l.name}`}\` removes what is left`);
          }
        }
        const ok = (s: string) => s === 'running' || s === 'degraded';
        return labs.every((l) => l.aptProxyRunning && l.mirrorRunning && l.hosts.every((h) => ok(h.state))) ? 0 : 2;
      }),
    );

  lab
    .command('ssh <host> [command...]')
    .description("ssh into a lab host as root with the lab's key and strict host key checking")
    .option('--name <name>', 'lab name', 'lab')
    .action(
      action(async (host: string, command: string[], opts: { name: string }) => {
        const [{ labSshArgs }, { spawn }] = await Promise.all([import('../../lab/index.js'), import('node:child_process')]);
        const args = await labSshArgs(host, command, opts.name);
        // A terminal for an interactive login; none when a command is given (like ssh itself).
        const child = spawn('ssh', command.length ? args : ['-t', ...args], { stdio: 'inherit' });
        return new Promise<number>((resolve, reject) => {
          child.once('error', reject);
          child.once('close', (code) => resolve(code ?? 255));
        });
      }),
    );
}
