// The sorted walk of a dump tree: every regular file (and, when asked, every directory) below a root, as
// `/`-separated relative paths in bytewise order of the whole path (the order of CHECKSUMS and of the reference's
// archives: Go's sort.Strings), without following symlinks. Directories are read as streams and the paths go
// through an external sorter, so memory stays bounded whatever the number of files, in one directory or in all
// of them. What is neither a file nor a directory is handed to the caller, which refuses or skips it.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fsp, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '../errors.ts';
import { fileTypeName } from '../fs/safe-open.ts';
import { isValidUtf8 } from '../json/go-json.ts';
import { ExternalSorter } from '../sort/external-sort.ts';
import { removeTree } from './remove-tree.ts';
import { trackTemp } from './temp-paths.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

/** Where a sorted walk spills path lists that outgrow memory. */
export interface WalkSpill {
  /** Directory for run files (created when needed; the walk removes its own files). */
  readonly scratchDir: string;
  /** Bytes of paths held in memory before a run is spilled. */
  readonly memoryBudget: number;
}

export interface WalkEntry {
  /** `/`-separated path relative to the root, raw bytes. */
  readonly rel: Buffer;
  readonly isDir: boolean;
}

export interface WalkOptions {
  /** Without it, run files go to a private directory under the OS temp dir. */
  readonly spill?: WalkSpill;
  /** List directories too (the root itself excluded); else only regular files. */
  readonly dirs?: boolean;
  /**
   * Called for an entry that is neither a regular file nor a directory (symlink, FIFO, socket, device) with its
   * lstat: throwing refuses the tree; returning leaves the entry out.
   */
  readonly other?: (rel: Buffer, st: Stats) => void;
}

/** Bytes of paths a walk holds in memory when the caller names no budget. */
export const DEFAULT_WALK_BUDGET = 32 * 1024 * 1024;
const DIR = Buffer.from('d');
const FILE = Buffer.from('f');

/** A private directory under the OS temp dir, created synchronously and tracked for removal on an interrupt. */
export interface OwnTempDir {
  readonly path: string;
  forget(): void;
}

export function ownTempDir(prefix: string): OwnTempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, forget: trackTemp(path) };
}

/** The sorted walk of `root` (see the module comment). */
export async function* walkSorted(root: string, opts: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  const { spill, dirs = false, other } = opts;
  let own: OwnTempDir | undefined;
  let sortDir: string;
  if (spill === undefined) {
    own = ownTempDir('ekv-walk-');
    sortDir = own.path;
  } else sortDir = join(spill.scratchDir, `walk-${randomBytes(6).toString('hex')}`);
  const sorter = new ExternalSorter({ scratchDir: sortDir, memoryBudget: spill?.memoryBudget ?? DEFAULT_WALK_BUDGET });
  const slash = Buffer.from('/');
  const rootBytes = Buffer.from(root);
  async function collect(relDir: Buffer | undefined): Promise<void> {
    const abs = relDir === undefined ? rootBytes : Buffer.concat([rootBytes, slash, relDir]);
    const dir = await fsp.opendir(abs, { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
    for await (const d of dir) {
      const name = (d as unknown as { name: Buffer }).name;
      const rel = relDir === undefined ? name : Buffer.concat([relDir, slash, name]);
      let isDir = d.isDirectory();
      let isFile = d.isFile();
      if (!isDir && !isFile) {
        // Special entries, and entries of file systems that report no types: lstat tells.
        const st = await fsp.lstat(Buffer.concat([rootBytes, slash, rel]));
        isDir = st.isDirectory();
        isFile = st.isFile();
        if (!isDir && !isFile) {
          other?.(rel, st);
          continue;
        }
      }
      if (isDir) {
        if (dirs) await sorter.add(rel, DIR);
        await collect(rel);
      } else await sorter.add(rel, FILE);
    }
  }
  try {
    await collect(undefined);
    for await (const r of sorter.sorted()) {
      yield { rel: asBuffer(r.key), isDir: r.value[0] === DIR[0] };
    }
  } finally {
    await sorter.dispose();
    removeTree(sortDir);
    own?.forget();
  }
}

/** A tree path for messages: UTF-8 text when valid, else a quoted Latin-1 rendering. */
export function showPath(rel: Buffer): string {
  return isValidUtf8(rel) ? rel.toString('utf8') : JSON.stringify(rel.toString('latin1'));
}

/** Refuses a tree entry that is neither a regular file nor a directory (a walk's `other` for trees read back). */
export function refuseSpecial(rel: Buffer, st: Stats): never {
  const shown = showPath(rel);
  if (st.isSymbolicLink()) throw new DataError('TREE_SYMLINK', 'symbolic links are not allowed in a dump tree', { path: shown });
  throw new DataError('TREE_NOT_REGULAR', `not a regular file or directory (${fileTypeName(st)})`, { path: shown });
}
