// The build's second half (`npm run build`: tsc checks the types and writes the .d.ts files task
// authors import, then this): the CLI and the task API as a few bundled ES modules instead of
// ~250 files and the ~100 of zod's locales. Node 20 resolves and reads each module file on
// start-up, which was a third of a no-op run's time.
//
// One build with two entry points and code splitting: dist/cli/main.js (the `runbook` command)
// and dist/api.js (what task modules import as 'runbook') share their code through chunks, so a
// task module and the engine see the same module instances (`instanceof ShellText`, one
// UserError class). Each command's lazy `import()` stays lazy: a chunk of its own.

import { build, type Plugin } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * Handlebars requires `source-map` when it loads, for the source maps of templates precompiled
 * with a file name; runbook gives none, and without the package handlebars uses a shim of its own
 * (as its browser builds do). Left out, the bundle every run parses is 99 KB smaller.
 */
const withoutSourceMap: Plugin = {
  name: 'without-source-map',
  setup(b) {
    b.onResolve({ filter: /^source-map$/ }, () => ({ path: 'source-map', namespace: 'left-out' }));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/**
 * zod's classic API exports every locale of its error messages (306 KB of source in the bundle
 * every run parses); runbook's messages are English, and `z.locales.en` stays.
 */
const englishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";', loader: 'js' }));
  },
};

const root = fileURLToPath(new URL('../../', import.meta.url));
const outdir = `${root}dist`;

await rm(`${outdir}/chunks`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'cli/main': 'src/cli/main.ts', api: 'src/api.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  // ssh2 loads optional native addons by path; esbuild runs its own binary: both stay packages.
  external: ['ssh2', 'esbuild'],
  // CommonJS packages bundled into ES modules (handlebars, commander) call require() for Node's
  // built-ins; ES modules have no require of their own.
  banner: { js: "import { createRequire as __runbookRequire } from 'node:module'; const require = __runbookRequire(import.meta.url);" },
  logLevel: 'warning',
  plugins: [withoutSourceMap, englishOnly],
});
