// Recursive removal of scratch and staging directories in bounded memory.
//
// fs.promises.rm({ recursive: true }) lists a directory whole and unlinks every entry concurrently: on a tree of
// one file per key that is one pending request (and its path) per file at once, hundreds of megabytes for a
// few hundred thousand files. This removes entries a batch at a time, one system call after another, never
// following symlinks (a link is unlinked, not entered).

import { type Dirent, lstatSync, opendirSync, rmdirSync, unlinkSync } from 'node:fs';

const BATCH = 1024;

function missing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

function removeDir(path: Buffer): void {
  const slash = Buffer.from('/');
  for (;;) {
    const dir = opendirSync(path, { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
    const batch: Array<Dirent<Buffer>> = [];
    try {
      let d: Dirent | null;
      while (batch.length < BATCH && (d = dir.readSync()) !== null) batch.push(d as unknown as Dirent<Buffer>);
    } finally {
      dir.closeSync();
    }
    if (batch.length === 0) break;
    for (const d of batch) {
      const child = Buffer.concat([path, slash, d.name]);
      try {
        // File systems that do not report entry types give neither: ask lstat then.
        if (d.isDirectory() || (!d.isFile() && !d.isSymbolicLink() && lstatSync(child).isDirectory())) removeDir(child);
        else unlinkSync(child);
      } catch (err) {
        if (!missing(err)) throw err;
      }
    }
  }
  rmdirSync(path);
}

/** Removes a file or a directory tree; a missing path is not an error. */
export function removeTree(path: string | Buffer): void {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (missing(err)) return;
    throw err;
  }
  if (st.isDirectory()) removeDir(Buffer.isBuffer(path) ? path : Buffer.from(path));
  else unlinkSync(path);
}
