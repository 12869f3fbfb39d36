// The lab's artifact mirror: a static file server for the lab's artifact cache, laid out like
// archive.apache.org/dist. Plain JavaScript so it runs with bare `node`, from src/ or a package.
//   node mirror-server.mjs <bind-address> <port> <dir>
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';

const [address, port, dir] = process.argv.slice(2);
const root = normalize(dir) + sep;

createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://mirror').pathname);
  const file = normalize(join(root, path));
  const answer = (code, text) => res.writeHead(code, { 'content-type': 'text/plain' }).end(`${text}\n`);
  if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'method not allowed');
  if (!file.startsWith(root)) return answer(404, 'not found');
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return answer(404, 'not found');
  res.writeHead(200, {
    'content-length': info.size,
    'content-type': 'application/octet-stream',
    'last-modified': info.mtime.toUTCString(),
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
}).listen(Number(port), address, () => console.log(`artifact mirror: http://${address}:${port}/ serving ${root}`));
