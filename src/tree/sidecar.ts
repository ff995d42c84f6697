// Safe writing of files next to an output (spec core.md §3.7; elastickv: internal/backup/open_nofollow_unix.go).
//
// open(O_WRONLY|O_CREAT|O_NOFOLLOW|O_NONBLOCK, 0600) without O_TRUNC; refuse a symlink (ELOOP), a FIFO
// without reader (ENXIO), anything not a regular file, and a file with more than one link; only then truncate
// and force mode 0600. So a planted symlink or hard link can never redirect or clobber another file.

import { constants as fsc, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { UserError } from '../errors.ts';
import { assertNotInterrupted } from './temp-paths.ts';

export async function openSidecar(path: string): Promise<FileHandle> {
  assertNotInterrupted(path);
  let fh: FileHandle;
  try {
    fh = await fsp.open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_NOFOLLOW | fsc.O_NONBLOCK, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new UserError('SIDECAR_SYMLINK', `refusing to overwrite symlink at ${path}`, { path });
    if (code === 'ENXIO') throw new UserError('SIDECAR_FIFO', `refusing to write to FIFO at ${path}`, { path });
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new UserError('SIDECAR_NOT_REGULAR', `refusing to write to non-regular file at ${path} (mode=${(st.mode & 0o170000).toString(8)})`, { path });
    if (st.nlink > 1) throw new UserError('SIDECAR_HARDLINK', `refusing to overwrite hard-linked file at ${path} (nlink=${st.nlink})`, { path });
    await fh.truncate(0);
    await fh.chmod(0o600);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Writes a whole sidecar file through openSidecar, fsyncs it and closes it. */
export async function writeSidecar(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await openSidecar(path);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
