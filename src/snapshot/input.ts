// Opening a snapshot to read: a file, a named pipe, `-` (standard input) or an S3 object (`s3://bucket/key`,
// streamed), plain or gzip/zstd-compressed.
//
// Compression is recognised by content, not by name (a `.fsm` that is really `.fsm.gz` decodes as well):
// the first bytes are read, then the whole stream goes through the matching decompressor. zstd comes from
// src/bytes/zstd.ts (fzstd, streaming and bounded; Node 20's zlib has no zstd), shared with archives. Progress is
// counted on the
// bytes read from the source, so it matches the file size also when the input is compressed.

import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import { pipeline, Readable, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataError, isEkvError, UserError } from '../errors.ts';
import { openRegular } from '../fs/safe-open.ts';
import { crc32c } from '../bytes/crc32c.ts';
import { FileChunks } from './file-chunks.ts';
import { withInputFile, type InputFile } from './input-range.ts';
import { parseS3Url } from '../offload/s3-config.ts';
import type { S3Options } from '../offload/s3-store.ts';

export type InputCompression = 'none' | 'gzip' | 'zstd';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

export interface SnapshotInput {
  /** The snapshot's bytes, decompressed. */
  readonly source: AsyncIterable<Uint8Array>;
  readonly compression: InputCompression;
  /** Size of the file or object in bytes (compressed size when compressed); undefined for a pipe or standard input. */
  readonly size: number | undefined;
  /** Bytes read from the file or pipe so far (before decompression). */
  sourceBytesRead(): number;
  /**
   * For an uncompressed regular file: the CRC-32C of its first `bytes` bytes, read again (see
   * SnapshotReaderOptions.rereadCrc32c). A file replaced since it was opened is refused (`INPUT_CHANGED`).
   */
  readonly rereadCrc32c?: (bytes: number) => Promise<number>;
  /**
   * For an uncompressed regular file: the file, and how to move the source past bytes without reading them
   * (SnapshotReaderOptions.deferValues).
   */
  readonly skippable?: SkippableFile;
  /**
   * Releases the file, pipe or S3 download (standard input is left open). A reader that stops early (an error in
   * the snapshot) must call it: an abandoned stream keeps its descriptor until garbage collection.
   */
  close(): void;
}

/** An input file whose source can skip bytes: its identity and size, and the skip. */
export interface SkippableFile {
  readonly file: InputFile;
  readonly size: number;
  /** Moves the source past the next `bytes` bytes after those it has delivered. */
  readonly skip: (bytes: number) => void;
}

export interface OpenSnapshotOptions {
  /** The stream `-` stands for (the CLI passes process.stdin); without it `-` is refused. */
  readonly stdin?: NodeJS.ReadableStream;
  /** Read a named pipe (decode, inspect); without it a FIFO is refused like any non-regular file (verify). */
  readonly pipes?: boolean;
  /** With S3 settings, a path `s3://bucket/key` is read from S3, streamed (without them it is a file path). */
  readonly s3?: S3Options;
}

/** Opens `path` (`-` for standard input) for SnapshotReader. The caller closes it when done (also after an error). */
export async function openSnapshotInput(path: string, opts: OpenSnapshotOptions = {}): Promise<SnapshotInput> {
  let raw: AsyncIterable<Uint8Array>;
  let size: number | undefined;
  let regular: Stats | undefined;
  let chunks: FileChunks | undefined;
  let owned = true;
  const s3Url = opts.s3 === undefined ? undefined : parseS3Url(path);
  if (s3Url !== undefined && opts.s3 !== undefined) {
    const { openS3Object } = await import('../offload/s3-store.ts'); // the AWS SDK, only for s3:// inputs
    const object = await openS3Object(s3Url, opts.s3, 'snapshot');
    raw = object.body;
    size = object.size;
  } else if (path === '-') {
    if (opts.stdin === undefined) throw new UserError('INPUT_MISSING', 'standard input (-) is not available here', { path });
    raw = opts.stdin as AsyncIterable<Uint8Array>;
    owned = false;
  } else {
    const st = await fsp.stat(path).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError('INPUT_MISSING', 'input file does not exist', { path });
      throw err;
    });
    if (st.isFIFO() && opts.pipes === true) {
      // A named pipe, accepted on purpose: the open waits for a writer (an interrupt still ends the process).
      raw = createReadStream(path, { highWaterMark: 1024 * 1024 });
    } else {
      const file = await openRegular(path, { role: 'input' });
      size = file.stat.size;
      regular = file.stat;
      raw = chunks = new FileChunks(file.handle);
    }
  }
  let read = 0;
  const it = (async function* counted() {
    for await (const chunk of raw) {
      read += chunk.length;
      yield chunk;
    }
  })();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  while (headBytes < ZSTD_MAGIC.length) {
    const r = await it.next();
    if (r.done === true) break;
    head.push(r.value);
    headBytes += r.value.length;
  }
  const lead = Buffer.concat(head);
  const replay = async function* (): AsyncGenerator<Uint8Array> {
    yield* head;
    yield* it;
  };
  const compression: InputCompression = startsWith(lead, GZIP_MAGIC) ? 'gzip' : startsWith(lead, ZSTD_MAGIC) ? 'zstd' : 'none';
  const source = compression === 'none' ? replay() : compression === 'gzip' ? decompressed(replay(), createGunzip(), compression, path) : unzstd(replay(), path);
  const close = (): void => {
    if (chunks !== undefined) void chunks.return().catch(() => undefined);
    else if (owned) (raw as { destroy?: () => void }).destroy?.();
  };
  const input: SnapshotInput = { source, compression, size, sourceBytesRead: () => chunks?.position ?? read, close };
  if (regular === undefined || chunks === undefined || compression !== 'none') return input;
  const file: InputFile = { path, dev: regular.dev, ino: regular.ino };
  const skip = chunks.skip.bind(chunks);
  const skippable: SkippableFile = { file, size: regular.size, skip };
  return { ...input, rereadCrc32c: (bytes) => crc32cOfPrefix(file, bytes), skippable };
}

/** The CRC-32C of the first `bytes` bytes of `file`, read again (see withInputFile). */
function crc32cOfPrefix(file: InputFile, bytes: number): Promise<number> {
  return withInputFile(file, async (readAt) => {
    const buf = Buffer.allocUnsafe(Math.min(bytes, 1024 * 1024));
    let crc = 0;
    for (let at = 0; at < bytes; at += buf.length) {
      const piece = buf.subarray(0, Math.min(buf.length, bytes - at));
      await readAt(piece, at);
      crc = crc32c(piece, crc);
    }
    return crc >>> 0;
  });
}

function startsWith(b: Buffer, magic: Buffer): boolean {
  return b.length >= magic.length && b.subarray(0, magic.length).equals(magic);
}

async function* decompressed(
  compressed: AsyncIterable<Uint8Array>,
  transform: Transform,
  kind: InputCompression,
  path: string,
): AsyncGenerator<Uint8Array> {
  const out = pipeline(Readable.from(compressed), transform, () => undefined);
  try {
    for await (const chunk of out) yield chunk as Uint8Array;
  } catch (err) {
    if (isEkvError(err) || (err as NodeJS.ErrnoException).syscall !== undefined) throw err;
    throw new DataError(
      'INPUT_DECOMPRESS_FAILED',
      `${kind} data is corrupt: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
}

async function* unzstd(compressed: AsyncIterable<Uint8Array>, path: string): AsyncGenerator<Uint8Array> {
  const { zstdDecompress, ZstdDataError } = await import('../bytes/zstd.ts'); // only for zstd inputs
  try {
    yield* zstdDecompress(compressed);
  } catch (err) {
    if (!(err instanceof ZstdDataError)) throw err;
    throw new DataError('INPUT_DECOMPRESS_FAILED', `zstd data is corrupt: ${err.message}`, { path, offset: err.offset }, { cause: err });
  }
}
