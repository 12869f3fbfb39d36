// A 100 MiB upload through HostShell.writeFile over SSH: it arrives byte-identical, and the
// controller streams it (backpressure) instead of holding it in memory.

import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openTransport } from '../../src/transport/connect.js';
import { HostShell } from '../../src/transport/host.js';
import { inventoryHost, startSshd, type Sshd } from '../helpers/sshd.js';

const MiB = 1 << 20;
let sshd: Sshd;

// Live memory after a forced GC: what the controller really holds, unlike RSS, which lags behind
// collected garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

test.before(async () => {
  sshd = await startSshd();
});

test.after(async () => {
  await sshd?.stop();
});

/** `total` random bytes made on the fly, hashed as they are produced. */
function generated(total: number, hash: ReturnType<typeof createHash>): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      const chunk = randomBytes(Math.min(64 * 1024, total - produced));
      produced += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
}

test('100 MiB streamed to a file arrives byte-identical without buffering', async () => {
  const { transport, loginUser } = await openTransport(inventoryHost(sshd), { knownHostsFile: sshd.knownHosts });
  const shell = new HostShell(transport, loginUser);
  const dir = (await shell.run(['mktemp', '-d'])).stdout.trim();
  try {
    const hash = createHash('sha256');
    const before = liveBytes();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, liveBytes())), 200);
    await shell.writeFile(`${dir}/big`, { stream: generated(100 * MiB, hash), size: 100 * MiB });
    clearInterval(sampler);
    const growth = (peak - before) / MiB;
    console.log(`  live controller memory grew at most ${growth.toFixed(1)} MiB during the 100 MiB upload (RSS now ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB)`);
    // ssh2 and the socket hold a window's worth of data in flight (tens of MiB at most, varying);
    // buffering the upload would hold all 100 MiB.
    assert.ok(growth < 50, `live memory grew ${growth.toFixed(1)} MiB: the upload was buffered`);

    const remote = (await shell.run(['sha256sum', `${dir}/big`])).stdout.split(' ')[0];
    assert.is(remote, hash.digest('hex'));
    assert.is((await shell.stat(`${dir}/big`))?.size, 100 * MiB);
  } finally {
    await shell.run(['rm', '-rf', dir]);
    await transport.close();
  }
});

test.run();
