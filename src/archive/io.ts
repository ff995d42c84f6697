// Where archives come from and go to: a regular file (published atomically), or stdin/stdout as `-`.

import { randomBytes } from 'node:crypto';
import { constants as fsc, createReadStream, promises as fsp } from 'node:fs';
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import { Writable } from 'node:stream';
import { DataError, UserError } from '../errors.ts';
import { fsyncDir } from '../tree/publish.ts';
import { trackTemp } from '../tree/temp-paths.ts';

/** An output being written: `stream` takes the bytes; commit() publishes them, abort() removes them. */
export interface ArchiveSink {
  readonly stream: Writable;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A Writable that forwards to `target` with backpressure and never ends it (for stdout). */
export function forwardTo(target: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (target.write(chunk)) cb();
      else target.once('drain', () => cb());
    },
  });
}

/**
 * A new file at `path`, written as `<path>.tmp-<random>` and renamed into place by commit(). An existing
 * `path` is refused (like the reference's O_EXCL open), before anything is written.
 */
export async function fileSink(path: string): Promise<ArchiveSink> {
  const existing = await fsp.lstat(path).catch(() => undefined);
  if (existing !== undefined) throw new UserError('OUTPUT_EXISTS', 'output exists; choose a new path', { path });
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const fh = await fsp.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  const untrack = trackTemp(tmp);
  const stream = fh.createWriteStream({ highWaterMark: 1024 * 1024 });
  return {
    stream,
    async commit() {
      const again = await fsp.open(tmp, fsc.O_RDONLY | fsc.O_NOFOLLOW);
      try {
        await again.sync();
      } finally {
        await again.close();
      }
      if ((await fsp.lstat(path).catch(() => undefined)) !== undefined) {
        await fsp.rm(tmp, { force: true });
        untrack();
        throw new UserError('OUTPUT_EXISTS', 'output appeared while the archive was being written; nothing replaced', { path });
      }
      await fsp.rename(tmp, path);
      untrack();
      await fsyncDir(dirname(resolve(path)));
    },
    async abort() {
      stream.destroy();
      await fsp.rm(tmp, { force: true });
      untrack();
    },
  };
}

/** Opens an archive file for reading: a regular file, not through a symlink at its last component. */
export async function openArchiveFile(path: string): Promise<AsyncIterable<Uint8Array>> {
  let fh;
  try {
    fh = await fsp.open(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError('INPUT_MISSING', 'archive does not exist', { path });
    if (code === 'ELOOP') throw new DataError('ARCHIVE_NON_REGULAR', 'archive input is a symlink', { path });
    throw new UserError('INPUT_UNREADABLE', `cannot open archive: ${(err as Error).message}`, { path });
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new DataError('ARCHIVE_NON_REGULAR', 'archive input is not a regular file', { path });
  }
  return createReadStream('', { fd: fh, highWaterMark: 1024 * 1024 });
}

/** Refuses an archive output inside the tree being packed (it would pack itself). */
export async function refuseOutputInsideInput(input: string, output: string): Promise<void> {
  const inputReal = await fsp.realpath(input).catch(() => resolve(input));
  const parentReal = await fsp.realpath(dirname(resolve(output))).catch(() => dirname(resolve(output)));
  const rel = relative(inputReal, resolve(parentReal, output.split('/').pop() ?? output));
  if (rel === '' || (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel))) {
    throw new UserError('OUTPUT_INSIDE_INPUT', `output is inside the input tree ${input}`, { path: output });
  }
}
