// Opening the operator's input files as the reference does (internal/pathsafety OpenNoFollowRead, then a
// regular-file check): O_RDONLY|O_NOFOLLOW|O_NONBLOCK, so a symlink is refused (ELOOP) and a FIFO does not
// block the open; anything that is not a regular file is refused after fstat. Refusals are usage errors (exit 1).

import { constants as fsc, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { UserError } from '../errors.ts';

/**
 * Wraps an fs error into a coded usage error naming the path and what was being done: a missing input is
 * INPUT_MISSING, anything else (including a missing parent of the output) RESTORE_IO_FAILED.
 */
export function fsError(err: unknown, path: string, doing: string, input = false): UserError {
  const e = err as NodeJS.ErrnoException;
  const code = input && e.code === 'ENOENT' ? 'INPUT_MISSING' : 'RESTORE_IO_FAILED';
  return new UserError(code, `${doing}: ${e.message}`, { path }, { cause: err });
}

/** Opens `path` for reading, refusing symlinks and non-regular files. `kind` names it in messages. */
export async function openRegularInput(path: string, kind: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UserError('RESTORE_INPUT_INVALID', `etcd external snapshot restore: invalid options: ${kind} is a symlink`, { path });
    }
    throw fsError(err, path, `open ${kind}`, true);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new UserError('RESTORE_INPUT_INVALID', `etcd external snapshot restore: invalid options: ${kind} is not a regular file`, { path });
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

const READ_CHUNK = 1 << 20;

/** The file's bytes from its current start, as fresh chunks (consumers may keep them). */
export async function* readChunks(fh: FileHandle): AsyncGenerator<Buffer> {
  let position = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === READ_CHUNK ? buf : buf.subarray(0, bytesRead);
  }
}
