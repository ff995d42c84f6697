// Atomic publication of outputs: build next to the destination under a private name, fsync, rename.
//
// A dump tree is built in `<parent>/.<name>.partial-<random>` and renamed to `<parent>/<name>`; a file in
// `<path>.tmp-<random>`. Either the complete result appears at the published path or nothing does. An existing
// non-empty destination directory is refused rather than merged into (no stale files in CHECKSUMS).

import { randomBytes } from 'node:crypto';
import { mkdirSync, promises as fsp, type Stats } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { UserError } from '../errors.ts';
import { assertNotInterrupted } from './temp-paths.ts';

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

/**
 * What may already be at an output file's path: nothing (`never`), or a regular file that is replaced
 * (`regular-file`: the main CLI's --force, and the drop-in encoder like the reference). Anything else (a
 * directory, device, FIFO, socket or symlink) is never replaced.
 */
export type OverwritePolicy = 'never' | 'regular-file';

function typeName(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Refuses an output file path that holds something the policy does not allow replacing. */
export async function checkOutputFile(output: string, policy: OverwritePolicy): Promise<void> {
  let st: Stats;
  try {
    st = await fsp.lstat(output);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isFile()) throw new UserError('OUTPUT_NOT_REGULAR', `output exists and is ${typeName(st)}; only a regular file is ever replaced`, { path: output });
  if (policy === 'never') throw new UserError('OUTPUT_EXISTS', 'output file exists; choose a new path, or pass --force to replace it', { path: output });
}

/** Refuses an output whose parent directory does not exist (or is not a directory); nothing creates it silently. */
export async function checkOutputParent(output: string): Promise<void> {
  const parent = dirname(output);
  let st: Stats;
  try {
    st = await fsp.stat(parent);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError('OUTPUT_PARENT_MISSING', `directory ${parent} does not exist; create it first`, { path: output });
    throw err;
  }
  if (!st.isDirectory()) throw new UserError('OUTPUT_PARENT_MISSING', `${parent} is not a directory`, { path: output });
}

/** Refuses an output at or inside the input tree `root` (it would end up in what it is made from). */
export async function checkOutsideTree(root: string, output: string): Promise<void> {
  const real = async (p: string): Promise<string> => fsp.realpath(p).catch(() => resolve(p));
  const rootReal = await real(root);
  const outReal = join(await real(dirname(output)), basename(output));
  const rel = relative(rootReal, outReal);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    throw new UserError('OUTPUT_INSIDE_INPUT', `output is inside the input tree ${root}; write it elsewhere`, { path: output });
  }
}

/**
 * Creates the private staging directory a tree is built in, next to `output` (whose parent must exist). `track`
 * is called with its path before it is created, and the creation is synchronous, so an interrupt can never leave
 * one behind unrecorded.
 */
export function makeStagingDir(output: string, tag: string, track: (path: string) => void): string {
  const parent = dirname(output);
  const dir = join(parent, `.${basename(output)}.${tag}-${randomHex()}`);
  track(dir);
  mkdirSync(dir, { mode: 0o755 });
  return dir;
}

/** Moves a finished staging directory to `output` (which must be absent or an empty directory). */
export async function publishDir(staging: string, output: string): Promise<void> {
  await checkFreshOutputDir(output);
  assertNotInterrupted(output);
  try {
    await fsp.rmdir(output);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fsp.rename(staging, output);
  await fsyncDir(dirname(output));
}
