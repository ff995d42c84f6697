// Node's file-system errors (`EISDIR: illegal operation on a directory, read`) turned into coded errors that
// name the user's path: temporary names (`<out>.tmp-<hex>`, `.<out>.partial-<hex>/…`) are shown as the output
// they stand for. Exit class 1: a failing disk, a missing directory or a permission is the environment's.

import { UserError, type EkvError } from '../errors.ts';
import { shownPath } from '../tree/temp-paths.ts';

const VERBS: Readonly<Record<string, string>> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create directory',
  mkdtemp: 'create directory',
  rename: 'rename into place',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  scandir: 'list directory',
  opendir: 'list directory',
  stat: 'examine',
  lstat: 'examine',
  fstat: 'examine',
  fsync: 'sync',
  close: 'close',
  ftruncate: 'truncate',
  chmod: 'set permissions of',
  fchmod: 'set permissions of',
};

/** A coded error for a Node system error (one with an errno code and a syscall); undefined for anything else. */
export function codedSystemError(err: unknown): EkvError | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code !== 'string' || !/^E[A-Z0-9]+$/.test(e.code) || typeof e.syscall !== 'string') return undefined;
  const what = /^E[A-Z0-9]+: ([^,]+)/.exec(e.message)?.[1] ?? e.code;
  const verb = VERBS[e.syscall] ?? e.syscall;
  const path = typeof e.path === 'string' ? shownPath(e.path) : undefined;
  const reason = `cannot ${verb}: ${what} (${e.code})`;
  return new UserError('IO_ERROR', reason, path === undefined ? {} : { path }, { cause: err });
}
