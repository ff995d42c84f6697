// Every directory and regular file of a dump tree, in the order the reference packs them (Go's sort.Strings on
// the paths: bytewise), without following symlinks. Anything else (symlink, FIFO, socket, device) is refused:
// an archive carries regular files and directories only. Paths go through the external sorter, so a tree of
// millions of files costs no more memory than the sorter's budget.

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '../errors.ts';
import { ExternalSorter } from '../sort/external-sort.ts';
import { removeTree } from '../tree/remove-tree.ts';

export interface TreeWalkEntry {
  /** `/`-separated path relative to the root, raw bytes. */
  readonly rel: Buffer;
  readonly isDir: boolean;
}

const WALK_BUDGET = 32 * 1024 * 1024;
const DIR = Buffer.from('d');
const FILE = Buffer.from('f');

function kindOf(d: {
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): string {
  if (d.isDirectory()) return 'dir';
  if (d.isFile()) return 'file';
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isFIFO()) return 'FIFO';
  if (d.isSocket()) return 'socket';
  if (d.isBlockDevice() || d.isCharacterDevice()) return 'device';
  return 'unknown';
}

/** Sorted walk of `root` (the root itself excluded). Throws ARCHIVE_NON_REGULAR on anything but files and dirs. */
export async function* walkTree(root: string): AsyncGenerator<TreeWalkEntry> {
  const scratch = join(tmpdir(), `ekv-pack-walk-${randomBytes(6).toString('hex')}`);
  const sorter = new ExternalSorter({ scratchDir: scratch, memoryBudget: WALK_BUDGET });
  const slash = Buffer.from('/');
  const rootBytes = Buffer.from(root);
  async function collect(relDir: Buffer | undefined): Promise<void> {
    const abs = relDir === undefined ? rootBytes : Buffer.concat([rootBytes, slash, relDir]);
    const dir = await fsp.opendir(abs, { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
    for await (const d of dir) {
      const name = (d as unknown as { name: Buffer }).name;
      const rel = relDir === undefined ? name : Buffer.concat([relDir, slash, name]);
      let kind = kindOf(d);
      if (kind === 'unknown') kind = kindOf(await fsp.lstat(Buffer.concat([rootBytes, slash, rel])));
      if (kind === 'dir') {
        await sorter.add(rel, DIR);
        await collect(rel);
      } else if (kind === 'file') {
        await sorter.add(rel, FILE);
      } else {
        throw new DataError('ARCHIVE_NON_REGULAR', `${kind} in the dump tree: an archive holds regular files and directories only`, { path: join(root, rel.toString('utf8')) });
      }
    }
  }
  try {
    await collect(undefined);
    for await (const r of sorter.sorted()) {
      yield { rel: Buffer.from(r.key.buffer, r.key.byteOffset, r.key.byteLength), isDir: r.value[0] === DIR[0] };
    }
  } finally {
    await sorter.dispose();
    removeTree(scratch);
  }
}
