// Bundles the command-line programs (run by `npm run build`, after tsc): dist/src/cli/main.js and the modules our
// worker threads run become a few files in dist/cli/, which bin/*.js import. Node 20 resolves, reads and compiles
// each ES module on its own; the ~180 modules of dist/src took 0.08 s more to load than the bundle, on every run.
// The library (dist/src) is not bundled. Packages stay external (installed as dependencies).
//
// Worker modules are found where the sources start them: `startWorker('./name', import.meta.url)` and
// `workerModuleUrl('./name', import.meta.url)` resolve next to the calling module, and in the bundle every module
// lives in dist/cli/, so each worker module becomes dist/cli/name.js.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const WORKER_CALL = /\b(?:startWorker|workerModuleUrl)\(\s*'\.\/([\w-]+)'/g;

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const entryPoints = { main: 'dist/src/cli/main.js' };
for (const file of sources('src')) {
  for (const [, name] of readFileSync(file, 'utf8').matchAll(WORKER_CALL)) {
    const js = join('dist', dirname(file), `${name}.js`);
    if (entryPoints[name] !== undefined && entryPoints[name] !== js) {
      throw new Error(`bundle-cli: two worker modules named ${name}: ${entryPoints[name]} and ${js}`);
    }
    statSync(js); // built by tsc, or the bundle would start a worker that is not there
    entryPoints[name] = js;
  }
}
if (Object.keys(entryPoints).length === 1) throw new Error('bundle-cli: no worker module found in src/');

// Every dependency stays an import, except the pure-JavaScript ones every decode and encode loads at start.
const INLINED = new Set(['@bufbuild/protobuf', 'fastest-levenshtein']);
const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8'));
const EXTERNAL = Object.keys(dependencies)
  .filter((name) => !INLINED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

rmSync('dist/cli', { recursive: true, force: true }); // chunk names change from build to build
await build({
  entryPoints,
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  logLevel: 'warning',
});
console.log(`bundle-cli: dist/cli/ from ${Object.values(entryPoints).map((p) => relative('dist/src', p)).join(', ')}`);
