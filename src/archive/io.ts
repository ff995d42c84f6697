// Where archives come from and go to: a regular file (published atomically), stdin/stdout as `-`, or an S3
// object (`s3://bucket/key`, streamed).

import { randomBytes } from 'node:crypto';
import { constants as fsc, createReadStream, promises as fsp } from 'node:fs';
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DataError, UserError } from '../errors.ts';
import { fsyncDir } from '../tree/publish.ts';
import { trackTemp } from '../tree/temp-paths.ts';
import { makeS3Client, openS3Object, s3Failure, type S3Options } from '../offload/s3-store.ts';
import type { S3Sse } from '../offload/s3-config.ts';
import { MAX_WRITE_CALL } from '../fs/write-all.ts';

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
      else target.once('drain', () => { cb(); });
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
  const stream = fh.createWriteStream({ highWaterMark: MAX_WRITE_CALL });
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

/**
 * An archive written to `s3://bucket/key`, streamed through a multipart upload (8 MiB parts, two in flight: no
 * temp copy, 16 MiB of memory). The object appears only when the upload completes; abort() cancels it, so a
 * failed pack leaves nothing at the key and no multipart upload open (an interrupt, which ends the process at
 * once, can leave one open: never an object). An existing object is refused first (a concurrent writer between that
 * check and the completion is not detected: S3 multipart uploads have no create-only completion here).
 */
export async function s3Sink(
  url: { bucket: string; key: string },
  s3: S3Options,
  sse: S3Sse,
  kmsKeyId: string,
): Promise<ArchiveSink> {
  const client = makeS3Client(s3);
  const where = `s3://${url.bucket}/${url.key}`;
  try {
    await client.send(new HeadObjectCommand({ Bucket: url.bucket, Key: url.key }));
    throw new UserError('OUTPUT_EXISTS', 'output object exists; choose a new key', { path: where });
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'NotFound' && name !== 'NoSuchKey') throw s3Failure(err, 'check the output object', where);
  }
  const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
  const upload = new Upload({
    client,
    queueSize: 2,
    partSize: 8 * 1024 * 1024,
    leavePartsOnError: false,
    params: {
      Bucket: url.bucket,
      Key: url.key,
      Body: stream,
      ContentType: 'application/x-tar',
      ...(sse !== 'none' ? { ServerSideEncryption: sse } : {}),
      ...(kmsKeyId !== '' ? { SSEKMSKeyId: kmsKeyId } : {}),
    },
  });
  const done = upload.done();
  done.catch(() => undefined);
  return {
    stream,
    async commit() {
      try {
        await done;
      } catch (err) {
        throw s3Failure(err, 'upload the archive', where);
      }
    },
    async abort() {
      // Failing the body (rather than Upload.abort(), which settles at once and aborts the multipart upload in
      // the background, after a CLI has exited) makes the upload abort its multipart upload before done settles.
      stream.destroy(new Error('archive not completed'));
      await done.catch(() => undefined);
    },
  };
}

/** An archive read from `s3://bucket/key`, streamed. */
export async function openS3Archive(
  url: { bucket: string; key: string },
  s3: S3Options,
): Promise<AsyncIterable<Uint8Array>> {
  return (await openS3Object(url, s3, 'archive')).body;
}
