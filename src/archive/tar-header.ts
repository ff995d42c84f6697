// Tar headers for the archives we write, through node-tar's Header and Pax encoders.
//
// Headers are normalised so that the same tree always gives the same bytes: owner 0:0 without names, mtime 0
// (the Unix epoch, as `tar --mtime=@0` for reproducible archives), permission bits only. A path longer than
// USTAR's name/prefix fields, or a size past its octal field, gets a PAX extended header first.

import { Header, Pax } from 'tar';

const EPOCH = new Date(0);
export const BLOCK = 512;
/** Two zero blocks end a tar archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

export interface TarEntryHead {
  /** `/`-separated path relative to the archive root, without a trailing slash. */
  readonly path: string;
  readonly type: 'File' | 'Directory';
  readonly size: number;
  /** Permission bits. */
  readonly mode: number;
}

/** The header block(s) for one entry. */
export function encodeTarHeader(e: TarEntryHead): Buffer {
  const path = e.type === 'Directory' ? `${e.path}/` : e.path;
  const size = e.type === 'Directory' ? 0 : e.size;
  const header = new Header({ path, type: e.type, size, mode: e.mode & 0o777, uid: 0, gid: 0, uname: '', gname: '', mtime: EPOCH });
  const block = Buffer.alloc(BLOCK);
  if (!header.encode(block, 0)) return block;
  return Buffer.concat([new Pax({ path, size }).encode(), block]);
}

/** Zero bytes that pad a body of `size` bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  const rem = size % BLOCK;
  return rem === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rem);
}
