// Two builds (or two commands) timed against each other: each command runs N times, alternating,
// so a machine whose speed drifts during the series (a shared VM) weighs on both alike. Prints
// the median, min and max wall time of each.
//
//   node --import tsx bench/ab.ts 15 'node /tmp/old/dist/cli/main.js play ...' 'node dist/cli/main.js play ...'

import { execSync } from 'node:child_process';

const [runs, ...commands] = process.argv.slice(2);
const n = Number(runs);
if (!Number.isInteger(n) || n < 1 || commands.length === 0) {
  console.error("usage: bench/ab.ts <runs> '<command>' ['<command>' ...]");
  process.exit(2);
}
const times = commands.map((): number[] => []);
for (let i = 0; i < n; i++) {
  commands.forEach((command, j) => {
    const start = performance.now();
    execSync(command, { stdio: 'ignore', shell: '/bin/sh' });
    times[j].push(performance.now() - start);
  });
}
commands.forEach((command, j) => {
  const sorted = times[j].sort((a, b) => a - b);
  const ms = (t: number) => t.toFixed(0);
  console.log(`${ms(sorted[Math.floor(sorted.length / 2)])} ms median (${ms(sorted[0])}-${ms(sorted.at(-1)!)})  ${command}`);
});
