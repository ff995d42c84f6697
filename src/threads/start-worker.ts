// Starts a worker thread running one of our modules, from the built JavaScript (dist) or from the TypeScript
// sources (tests and `npm run fuzz` run them under tsx). Node 20 does not apply `--import tsx` to worker threads,
// so from the sources the worker registers tsx itself before importing its module.

import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts `file` (a name without extension, relative to `base`, the caller's `import.meta.url`) on a worker thread:
 * `file.js` when the caller runs from JavaScript, `file.ts` through tsx when it runs from TypeScript.
 */
export function startWorker(file: string, base: string, options: WorkerOptions = {}): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`${file}.js`, base), options);
  const url = new URL(`${file}.ts`, base).href;
  // Resolved here, not in the worker: an evaluated script resolves bare names from the working directory.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * The URL of one of our modules (`file`, a name without extension relative to `base`, the caller's
 * `import.meta.url`) for a worker started by startWorker to import: `file.js` from JavaScript, `file.ts` from
 * TypeScript (startWorker's workers have tsx registered).
 */
export function workerModuleUrl(file: string, base: string): string {
  return new URL(`${file}${base.endsWith('.ts') ? '.ts' : '.js'}`, base).href;
}
