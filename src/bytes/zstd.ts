// Zstandard streams (archives, compressed .fsm inputs), with no native build: compression through @hpcc-js/wasm-zstd
// (the reference
// zstd C library compiled to WebAssembly, streaming API) and decompression through fzstd (pure JavaScript).
//
// Decompression is pull-driven: the compressed stream is fed to the decoder 4 KiB at a time and what that slice
// decoded is handed on before the next slice is read, so memory stays bounded (a zstd block is at most 128 KiB
// and takes at least 4 compressed bytes: a 4 KiB slice can never yield more than 128 MiB, even from a hostile
// run of RLE blocks, and real data yields a few hundred KiB).

import { Transform, type TransformCallback } from 'node:stream';
import { Zstd } from '@hpcc-js/wasm-zstd';
import { Decompress } from 'fzstd';
import { asBuffer } from './as-buffer.ts';

/** The magic number at the start of every zstd frame (little-endian 0xFD2FB528). */
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** zstd's default level; the reference's Go encoder (SpeedDefault) is meant to match it. */
const ZSTD_DEFAULT_LEVEL = 3;
const SLICE = 4096;
const COMPRESS_INPUT = 1024 * 1024;

/** True when `head` starts with the zstd frame magic. */
export function looksLikeZstd(head: Uint8Array): boolean {
  return head.length >= 4 && Buffer.from(head.buffer, head.byteOffset, 4).equals(ZSTD_MAGIC);
}

class ZstdCompressStream extends Transform {
  readonly #level: number;
  #zstd: Zstd | undefined;

  constructor(level: number) {
    super();
    this.#level = level;
  }

  async #codec(): Promise<Zstd> {
    if (this.#zstd === undefined) {
      this.#zstd = await Zstd.load();
      this.#zstd.reset();
      this.#zstd.setCompressionLevel(this.#level);
    }
    return this.#zstd;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#codec().then(
      (z) => {
        for (let off = 0; off < chunk.length; off += COMPRESS_INPUT) {
          const out = z.compressChunk(chunk.subarray(off, off + COMPRESS_INPUT));
          if (out.length > 0) this.push(Buffer.from(out));
        }
        cb();
      },
      (err: unknown) => { cb(err as Error); },
    );
  }

  override _flush(cb: TransformCallback): void {
    this.#codec().then(
      (z) => {
        const out = z.compressEnd();
        if (out.length > 0) this.push(Buffer.from(out));
        cb();
      },
      (err: unknown) => { cb(err as Error); },
    );
  }
}

/** A Transform that compresses into one zstd frame. */
export function zstdCompressor(level = ZSTD_DEFAULT_LEVEL): Transform {
  return new ZstdCompressStream(level);
}

/** A corrupt zstd stream, or one that ends inside a frame; callers turn it into their own coded error. */
export class ZstdDataError extends Error {
  readonly truncated: boolean;
  /** Compressed bytes consumed before the problem. */
  readonly offset: number;
  constructor(message: string, truncated: boolean, offset: number) {
    super(message);
    this.name = 'ZstdDataError';
    this.truncated = truncated;
    this.offset = offset;
  }
}

/** Decompresses a stream of zstd frames; a corrupt or truncated stream throws ZstdDataError. */
export async function* zstdDecompress(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  const dec = new Decompress((chunk: Uint8Array) => {
    if (chunk.length > 0) pending.push(asBuffer(chunk));
  });
  let consumed = 0;
  const feed = (slice: Uint8Array, final: boolean): void => {
    try {
      dec.push(slice, final);
    } catch (err) {
      const msg = (err as Error).message;
      if (/unexpected EOF/i.test(msg)) throw new ZstdDataError('zstd stream ends inside a frame (truncated)', true, consumed);
      throw new ZstdDataError(`corrupt zstd data: ${msg}`, false, consumed);
    }
    consumed += slice.length;
  };
  for await (const chunk of input) {
    for (let off = 0; off < chunk.length; off += SLICE) {
      feed(chunk.subarray(off, off + SLICE), false);
      if (pending.length > 0) {
        const out = pending;
        pending = [];
        yield* out;
      }
    }
  }
  feed(new Uint8Array(0), true);
  yield* pending;
}
