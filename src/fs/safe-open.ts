// The one way the toolchain opens a file for reading: regular files only, checked before the open.
//
// A FIFO opened for reading blocks until a writer appears, and a read from it (or from a device) can block a
// thread forever: a process stuck that way cannot even exit. So the path is stat'ed first (or the caller has just
// listed it as a regular file, see SafeOpenOptions.listedRegular) and anything but a regular file is refused
// without opening it; the open itself is non-blocking (O_NONBLOCK, which changes nothing for a regular file) and
// the handle is stat'ed again, so a file swapped for something else between the two calls is refused too.
// Symlinks are followed only where the caller allows it (an input the operator named); inside a dump tree and for
// sidecars they are refused. Every refusal and every failure is a coded error that
// names the file; "cannot read" is never reported as "absent".

import { closeSync, constants as fsc, fstatSync, lstatSync, openSync, promises as fsp, readSync, statSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { DataErrorCode, UserErrorCode } from '../error-codes.ts';
import { DataError, UserError, type EkvError } from '../errors.ts';

/**
 * What the file is to the command, which decides the error codes and exit class:
 * - `input`: a file the operator named (`INPUT_*`, exit 1); symlinks followed;
 * - `tree`: a file inside a dump tree (`TREE_*`, exit 2); symlinks refused;
 * - `encode-info`: the `<x>.fsm.encode_info.json` found next to a snapshot (`ENCODE_INFO_*`, exit 2); symlinks refused.
 */
type FileRole = 'input' | 'tree' | 'encode-info';

export interface SafeOpenOptions {
  readonly role: FileRole;
  /** Path shown in messages (default: the path opened). */
  readonly shown?: string;
  /**
   * The caller has just listed the path as a regular file (its directory entry's type, readdir's d_type): that
   * listing stands in for the lstat before the open, which is skipped. A special file swapped in since is still
   * refused after the open by the handle's type; the open itself is non-blocking and follows no symlink (roles
   * `tree` and `encode-info`).
   */
  readonly listedRegular?: boolean;
}

type Refusal = 'MISSING' | 'NOT_REGULAR' | 'SYMLINK' | 'UNREADABLE' | 'CHANGED' | 'TOO_LARGE';

const INPUT_CODES = {
  MISSING: 'INPUT_MISSING',
  NOT_REGULAR: 'INPUT_NOT_FILE',
  SYMLINK: 'INPUT_UNREADABLE', // a symlink loop: inputs follow symlinks
  UNREADABLE: 'INPUT_UNREADABLE',
  CHANGED: 'INPUT_CHANGED',
  TOO_LARGE: 'INPUT_TOO_LARGE',
} as const satisfies Record<Refusal, UserErrorCode>;

const DATA_CODES = {
  tree: {
    MISSING: 'TREE_MISSING',
    NOT_REGULAR: 'TREE_NOT_REGULAR',
    SYMLINK: 'TREE_SYMLINK',
    UNREADABLE: 'TREE_UNREADABLE',
    CHANGED: 'TREE_FILE_CHANGED',
    TOO_LARGE: 'TREE_FILE_TOO_LARGE',
  },
  'encode-info': {
    MISSING: 'ENCODE_INFO_MISSING',
    NOT_REGULAR: 'ENCODE_INFO_NOT_REGULAR',
    SYMLINK: 'ENCODE_INFO_SYMLINK',
    UNREADABLE: 'ENCODE_INFO_UNREADABLE',
    CHANGED: 'ENCODE_INFO_CHANGED',
    TOO_LARGE: 'ENCODE_INFO_TOO_LARGE',
  },
} as const satisfies Record<Exclude<FileRole, 'input'>, Record<Refusal, DataErrorCode>>;

function refuse(opts: SafeOpenOptions, path: string | Buffer, what: Refusal, reason: string): EkvError {
  const ctx = { path: opts.shown ?? String(path) };
  return opts.role === 'input' ? new UserError(INPUT_CODES[what], reason, ctx) : new DataError(DATA_CODES[opts.role][what], reason, ctx);
}

/** Names a file type for messages. */
export function fileTypeName(st: Stats): string {
  if (st.isFile()) return 'regular file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symbolic link';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}

function fsError(opts: SafeOpenOptions, path: string | Buffer, err: unknown): EkvError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return refuse(opts, path, 'MISSING', 'file does not exist');
  if (e.code === 'ELOOP') return refuse(opts, path, 'SYMLINK', 'symbolic link refused');
  return refuse(opts, path, 'UNREADABLE', `cannot read: ${e.code ?? e.message}`);
}

/** Stats `path` (lstat where symlinks are refused) and refuses anything but a regular file. */
function checkBefore(path: string | Buffer, opts: SafeOpenOptions): Stats {
  let st: Stats;
  try {
    st = opts.role === 'input' ? statSync(path) : lstatSync(path);
  } catch (err) {
    throw fsError(opts, path, err);
  }
  if (st.isSymbolicLink()) throw refuse(opts, path, 'SYMLINK', 'symbolic link refused');
  if (!st.isFile()) throw refuse(opts, path, 'NOT_REGULAR', `not a regular file (${fileTypeName(st)})`);
  return st;
}

function checkAfter(before: Stats | undefined, after: Stats, path: string | Buffer, opts: SafeOpenOptions): void {
  if (!after.isFile()) throw refuse(opts, path, 'NOT_REGULAR', `not a regular file (${fileTypeName(after)})`);
  if (before !== undefined && (after.ino !== before.ino || after.dev !== before.dev)) throw refuse(opts, path, 'CHANGED', 'file was replaced while being opened');
}

function flags(opts: SafeOpenOptions): number {
  return fsc.O_RDONLY | fsc.O_NONBLOCK | (opts.role === 'input' ? 0 : fsc.O_NOFOLLOW);
}

/** Opens a regular file for reading (see the module comment); the caller closes the handle. */
export async function openRegular(
  path: string | Buffer,
  opts: SafeOpenOptions,
): Promise<{ readonly handle: FileHandle; readonly stat: Stats }> {
  const before = opts.listedRegular === true ? undefined : checkBefore(path, opts);
  let handle: FileHandle;
  try {
    handle = await fsp.open(path, flags(opts));
  } catch (err) {
    throw fsError(opts, path, err);
  }
  try {
    const stat = await handle.stat();
    checkAfter(before, stat, path, opts);
    return { handle, stat };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Synchronous openRegular: returns a file descriptor the caller closes. */
export function openRegularSync(
  path: string | Buffer,
  opts: SafeOpenOptions,
): { readonly fd: number; readonly stat: Stats } {
  const before = opts.listedRegular === true ? undefined : checkBefore(path, opts);
  let fd: number;
  try {
    fd = openSync(path, flags(opts));
  } catch (err) {
    throw fsError(opts, path, err);
  }
  try {
    const stat = fstatSync(fd);
    checkAfter(before, stat, path, opts);
    return { fd, stat };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Fills `out` from `fd`'s current position until it is full or the file ends; returns the bytes read. */
export function readFullSync(fd: number, out: Buffer): number {
  let off = 0;
  while (off < out.length) {
    const n = readSync(fd, out, off, out.length - off, null);
    if (n === 0) break;
    off += n;
  }
  return off;
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes; a larger file is refused from its size before any
 * byte is read (`<ROLE>_TOO_LARGE`).
 */
export function readRegularSync(path: string | Buffer, maxBytes: number, opts: SafeOpenOptions): Buffer {
  const { fd, stat } = openRegularSync(path, opts);
  try {
    if (stat.size > maxBytes) throw refuse(opts, path, 'TOO_LARGE', `file is ${stat.size} bytes, over the ${maxBytes}-byte limit`);
    const out = Buffer.allocUnsafe(stat.size);
    const off = readFullSync(fd, out);
    if (off !== stat.size || readSync(fd, Buffer.allocUnsafe(1), 0, 1, null) !== 0) throw refuse(opts, path, 'CHANGED', 'file changed size while being read');
    return out;
  } finally {
    closeSync(fd);
  }
}
