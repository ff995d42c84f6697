// The chunks of a regular file, read at explicit positions with one read ahead, so that a reader can skip bytes it
// does not need (large values a tree writer copies from the file itself, see input-range.ts) without reading them.

import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Bytes of one read while nothing is skipped. */
const CHUNK_BYTES = 1024 * 1024;
/**
 * Bytes of one read right after a skip: enough for the next row's header and the first bytes of its value, so a
 * file of large skipped values is read a row start at a time. Reads grow back to CHUNK_BYTES once nothing is skipped.
 */
const AFTER_SKIP_BYTES = 16 * 1024;

/** An async iterator of a file's chunks from its start, with skip(). Reads until the file ends, then closes it. */
export class FileChunks implements AsyncIterableIterator<Uint8Array> {
  readonly #handle: FileHandle;
  /** File position of the next chunk's first byte. */
  #pos = 0;
  /** The read started ahead, at #aheadPos (none after a skip, until a chunk is taken without one). */
  #ahead: Promise<Buffer> | undefined;
  #aheadPos = 0;
  /** Size of the next read: AFTER_SKIP_BYTES after a skip, doubling back to CHUNK_BYTES. */
  #readBytes = CHUNK_BYTES;
  #skipped = false;
  #closed = false;
  /**
   * Memory the small reads after a skip are made into, one after the other (a fresh buffer for each cost more than
   * the read); a chunk handed out keeps it alive, as a chunk of a full read keeps its own.
   */
  #slab: Buffer | undefined;
  #slabUsed = 0;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /** Bytes consumed so far: delivered in chunks or skipped. */
  get position(): number {
    return this.#pos;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#closed) return { value: undefined, done: true };
    let chunk: Buffer | undefined;
    const ahead = this.#ahead;
    this.#ahead = undefined;
    if (ahead !== undefined) {
      const got = await ahead;
      const into = this.#pos - this.#aheadPos;
      if (into >= 0 && into < got.length) chunk = got.subarray(into);
    }
    if (this.#skipped) {
      this.#skipped = false;
      this.#readBytes = AFTER_SKIP_BYTES;
    } else {
      this.#readBytes = Math.min(CHUNK_BYTES, 2 * this.#readBytes);
    }
    // The small read right after a skip is made on this thread: a round trip through the thread pool for every row
    // of large values cost more than the read (1.13 s against 1.36 s for the 512 MiB large-strings decode).
    if (chunk === undefined) {
      if (this.#readBytes === AFTER_SKIP_BYTES) chunk = this.#readSync(this.#pos, this.#readBytes);
      else chunk = await this.#read(this.#pos, this.#readBytes);
    }
    if (chunk.length === 0) {
      await this.return();
      return { value: undefined, done: true };
    }
    this.#pos += chunk.length;
    if (this.#readBytes === CHUNK_BYTES) {
      this.#aheadPos = this.#pos;
      this.#ahead = this.#read(this.#pos, CHUNK_BYTES);
      this.#ahead.catch(() => undefined); // a failure surfaces at the next call, if there is one
    }
    return { value: chunk, done: false };
  }

  /** Moves past the next `bytes` bytes of the file without reading them (unless a read ahead already holds them). */
  skip(bytes: number): void {
    this.#pos += bytes;
    this.#skipped = true;
  }

  /** Stops reading and closes the file. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.#closed) {
      this.#closed = true;
      await this.#ahead?.catch(() => undefined);
      this.#ahead = undefined;
      await this.#handle.close();
    }
    return { value: undefined, done: true };
  }

  #readSync(position: number, bytes: number): Buffer {
    let slab = this.#slab;
    if (slab === undefined || slab.length - this.#slabUsed < bytes) {
      slab = this.#slab = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.#slabUsed = 0;
    }
    const start = this.#slabUsed;
    const n = readSync(this.#handle.fd, slab, start, bytes, position);
    this.#slabUsed += n;
    return slab.subarray(start, start + n);
  }

  async #read(position: number, bytes: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafeSlow(bytes);
    const { bytesRead } = await this.#handle.read(buf, 0, bytes, position);
    return bytesRead === bytes ? buf : buf.subarray(0, bytesRead);
  }
}
