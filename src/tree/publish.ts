// Atomic publication of outputs: build next to the destination under a private name, fsync, rename.
//
// A dump tree is built in `<parent>/.<name>.partial-<random>` and renamed to `<parent>/<name>`; a file in
// `<path>.tmp-<random>`. Either the complete result appears at the published path or nothing does. An existing
// non-empty destination directory is refused rather than merged into (no stale files in CHECKSUMS).

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.ts';

export function randomHex(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Refuses a destination that exists and is not an empty directory. */
export async function checkFreshOutputDir(output: string): Promise<void> {
  let st;
  try {
    st = await fsp.lstat(output);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isDirectory()) throw new UserError('OUTPUT_EXISTS', 'output exists and is not a directory; choose a new path', { path: output });
  const entries = await fsp.readdir(output);
  if (entries.length > 0) {
    throw new UserError('OUTPUT_NOT_EMPTY', `output directory is not empty (${entries.length} entries); decode writes a complete new tree, so choose a new or empty directory`, { path: output });
  }
}

/** Creates the private staging directory a tree is built in, next to `output`. */
export async function makeStagingDir(output: string, tag: string): Promise<string> {
  const parent = dirname(output);
  await fsp.mkdir(parent, { recursive: true });
  const dir = join(parent, `.${basename(output)}.${tag}-${randomHex()}`);
  await fsp.mkdir(dir, { mode: 0o755 });
  return dir;
}

/** Moves a finished staging directory to `output` (which must be absent or an empty directory). */
export async function publishDir(staging: string, output: string): Promise<void> {
  await checkFreshOutputDir(output);
  try {
    await fsp.rmdir(output);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fsp.rename(staging, output);
  await fsyncDir(dirname(output));
}
