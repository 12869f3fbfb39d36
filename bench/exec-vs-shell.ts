// What one command costs over SSH to a lab host: a new exec channel per command (what
// SshTransport.exec does) against one long-lived `sh` channel fed command after command.
//
//   node --conditions=development --import tsx bench/exec-vs-shell.ts [lab] [host]   (default: perf kafka01)
//
// The difference is the case for a persistent shell session per host in the transport.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type ClientChannel } from 'ssh2';
import YAML from 'yaml';
import { labDir } from '../src/lab/paths.js';

const [lab = 'perf', hostName = 'kafka01'] = process.argv.slice(2);
const N = 200;
const inventory = YAML.parse(readFileSync(join(labDir(lab), 'inventory.yaml'), 'utf8'));
const host = inventory.all.hosts[hostName];

const client = new Client();
await new Promise<void>((resolve, reject) =>
  client.on('ready', resolve).on('error', reject).connect({ host: host.ansible_host, username: host.ansible_user, privateKey: readFileSync(host.ansible_ssh_private_key_file) }),
);

const execOnce = () =>
  new Promise<void>((resolve, reject) =>
    client.exec('echo ok', (e, s) => {
      if (e) return reject(e);
      s.on('data', () => {}).on('close', () => resolve());
      s.stderr.resume();
    }),
  );

const shell = await new Promise<ClientChannel>((resolve, reject) => client.exec('sh', (e, s) => (e ? reject(e) : resolve(s))));
let pending: { buffer: string; done: () => void } | undefined;
shell.on('data', (d: Buffer) => {
  if (!pending) return;
  pending.buffer += d;
  if (pending.buffer.includes('@@done\n')) pending.done();
});
const shellOnce = () => new Promise<void>((done) => ((pending = { buffer: '', done }), shell.write('echo ok; echo @@done\n')));

async function perCommand(fn: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 10; i++) await fn();
  const t = performance.now();
  for (let i = 0; i < N; i++) await fn();
  return (performance.now() - t) / N;
}

const exec = await perCommand(execOnce);
const persistent = await perCommand(shellOnce);
shell.end();
client.end();
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`${N} sequential commands to ${hostName} (lab ${lab}), load ${load}:`);
console.log(`  exec channel per command: ${exec.toFixed(1)} ms each`);
console.log(`  one persistent sh:        ${persistent.toFixed(2)} ms each (${(exec / persistent).toFixed(0)}x)`);
