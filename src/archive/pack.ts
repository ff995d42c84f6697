// Pack: a verified dump tree -> tar stream (optionally zstd-compressed), written to any Writable.
//
// Like the reference (internal/backup/archive.go PackDumpTree) the tree is verified first (MANIFEST.json,
// CHECKSUMS, no unlisted file), so a corrupt tree is never shipped; entries are the tree's directories and
// regular files in bytewise path order; symlinks, special files and hard-linked files are refused. Headers are
// normalised (tar-header.ts), so the same tree always gives the same archive bytes. Files are streamed a block
// at a time: memory does not grow with file or tree size.

import { constants as fsc, promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataError } from '../errors.ts';
import { isValidUtf8 } from '../json/go-json.ts';
import { absPath } from '../tree/paths.ts';
import { walkSorted } from '../tree/walk.ts';
import { fileTypeName } from '../fs/safe-open.ts';
import { encodeTarHeader, END_OF_ARCHIVE, tarPadding } from './tar-header.ts';
import { verifyDumpTree } from './verify-tree.ts';
import { zstdCompressor } from '../bytes/zstd.ts';

/** How an archive's tar stream is stored: zstd-compressed (the default of `archive pack`) or plain. */
export type Compression = 'zstd' | 'none';

/** What packTree wrote: files, directories and bytes of file content. */
export interface PackResult {
  readonly files: number;
  readonly dirs: number;
  /** Bytes of file contents packed. */
  readonly contentBytes: number;
}

const READ_BLOCK = 1024 * 1024;

/** How packTree reports progress. */
export interface PackOptions {
  /** Called after every 256th file packed, and once at the end, with the files and content bytes packed so far. */
  readonly onProgress?: (files: number, contentBytes: number) => void;
}

/** Verifies the tree at `root`, then writes it as an archive to `out` (which is ended when done). */
export async function packTree(
  root: string,
  out: Writable,
  compression: Compression,
  opts: PackOptions = {},
): Promise<PackResult> {
  await verifyDumpTree(root);
  const stats = { files: 0, dirs: 0, contentBytes: 0 };
  const tar = Readable.from(tarStream(root, stats, opts.onProgress), { objectMode: false });
  if (compression === 'zstd') await pipeline(tar, zstdCompressor(), out);
  else await pipeline(tar, out);
  return stats;
}

async function* tarStream(root: string, stats: { files: number; dirs: number; contentBytes: number }, onProgress: PackOptions['onProgress']): AsyncGenerator<Buffer> {
  const refuse = (rel: Buffer, st: Stats): never => {
    throw new DataError('ARCHIVE_NON_REGULAR', `${fileTypeName(st)} in the dump tree: an archive holds regular files and directories only`, { path: join(root, rel.toString('utf8')) });
  };
  for await (const { rel, isDir } of walkSorted(root, { dirs: true, other: refuse })) {
    const shown = `${root}/${rel.toString('utf8')}`;
    if (!isValidUtf8(rel)) {
      throw new DataError('ARCHIVE_PATH_NOT_UTF8', 'path is not valid UTF-8; tar names written here must be UTF-8', { path: JSON.stringify(shown) });
    }
    const abs = absPath(root, rel) as unknown as string;
    if (isDir) {
      const st = await fsp.lstat(abs);
      if (!st.isDirectory()) throw changed(shown);
      stats.dirs++;
      yield encodeTarHeader({ path: rel.toString('utf8'), type: 'Directory', size: 0, mode: st.mode });
      continue;
    }
    const fh = await fsp.open(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new DataError('ARCHIVE_NON_REGULAR', 'symlink in the dump tree', { path: shown });
      throw err;
    });
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new DataError('ARCHIVE_NON_REGULAR', 'not a regular file', { path: shown });
      if (st.nlink > 1) throw new DataError('ARCHIVE_NON_REGULAR', `hard-linked file (${st.nlink} links): an archive holds independent regular files only`, { path: shown });
      yield encodeTarHeader({ path: rel.toString('utf8'), type: 'File', size: st.size, mode: st.mode });
      let left = st.size;
      while (left > 0) {
        const buf = Buffer.allocUnsafe(Math.min(left, READ_BLOCK));
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) throw changed(shown);
        left -= bytesRead;
        yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
      }
      const { bytesRead: extra } = await fh.read(Buffer.alloc(1), 0, 1, null);
      if (extra !== 0) throw changed(shown);
      yield tarPadding(st.size);
      stats.files++;
      stats.contentBytes += st.size;
      if ((stats.files & 0xff) === 0) onProgress?.(stats.files, stats.contentBytes);
    } finally {
      await fh.close();
    }
  }
  onProgress?.(stats.files, stats.contentBytes);
  yield END_OF_ARCHIVE;
}

function changed(shown: string): DataError {
  return new DataError('ARCHIVE_TREE_CHANGED', 'changed while it was being packed', { path: shown });
}
