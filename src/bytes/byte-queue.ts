// A pull-based byte queue over an async chunk source: `need(n)` waits until n bytes are buffered (or the
// source ends), `take(n)` removes them. Reads inside one chunk are zero-copy views; reads spanning chunks are
// copied once. Tracks the absolute offset of the next unread byte for error messages, and can keep a running
// CRC-32C of the consumed bytes, computed a whole chunk at a time (per-read native calls would dominate), until told
// to stop.

import { crc32c } from './crc32c.ts';
import { asBuffer } from './as-buffer.ts';

export class ByteQueue {
  readonly #it: AsyncIterator<Uint8Array>;
  #chunks: Buffer[] = [];
  #head = 0; // read position inside #chunks[0]
  #available = 0;
  #ended = false;
  #offset = 0;
  #trackCrc: boolean;
  #crc = 0; // CRC-32C of every byte of the chunks already fully consumed

  constructor(source: AsyncIterable<Uint8Array>, opts: { crc32c?: boolean } = {}) {
    this.#it = source[Symbol.asyncIterator]();
    this.#trackCrc = opts.crc32c === true;
  }

  /** Stops the running CRC-32C (consumedCrc32c() is meaningless from then on). */
  stopCrc32c(): void {
    this.#trackCrc = false;
  }

  /** CRC-32C of every byte taken so far (only with `crc32c: true` and not stopped). */
  consumedCrc32c(): number {
    const head = this.#chunks[0];
    if (head === undefined || this.#head === 0) return this.#crc >>> 0;
    return crc32c(head.subarray(0, this.#head), this.#crc) >>> 0;
  }

  #dropHead(): void {
    const c = this.#chunks.shift() as Buffer;
    if (this.#trackCrc) this.#crc = crc32c(c, this.#crc);
    this.#head = 0;
  }

  /** Absolute offset of the next byte take() would return. */
  get offset(): number {
    return this.#offset;
  }

  get available(): number {
    return this.#available;
  }

  /** Buffers at least n bytes; false when the source ended first (whatever was there stays buffered). */
  async need(n: number): Promise<boolean> {
    while (this.#available < n) {
      if (this.#ended) return false;
      const r = await this.#it.next();
      if (r.done === true) {
        this.#ended = true;
        return false;
      }
      const c = r.value;
      if (c.length === 0) continue;
      this.#chunks.push(asBuffer(c));
      this.#available += c.length;
    }
    return true;
  }

  /** True when no byte is buffered and the source has ended. */
  async atEnd(): Promise<boolean> {
    return !(await this.need(1));
  }

  /** The first buffered chunk (undefined when nothing is buffered); its unread bytes start at `headPos`. */
  get headChunk(): Buffer | undefined {
    return this.#chunks[0];
  }

  get headPos(): number {
    return this.#head;
  }

  /** Consumes n bytes that all lie in the head chunk (the caller has checked), for parsing in place. */
  skipInHead(n: number): void {
    const first = this.#chunks[0] as Buffer;
    this.#head += n;
    this.#available -= n;
    this.#offset += n;
    if (this.#head === first.length) this.#dropHead();
  }

  /**
   * Consumes the next n bytes: the buffered ones are dropped, and the source is moved past the rest by
   * `skipSource` without their being read. Not while a CRC-32C is kept (the skipped bytes would be missing from it).
   */
  skip(n: number, skipSource: (bytes: number) => void): void {
    if (this.#trackCrc) throw new RangeError('ByteQueue: skip() while keeping a CRC-32C');
    const dropped = Math.min(n, this.#available);
    let left = dropped;
    while (left > 0) {
      const c = this.#chunks[0] as Buffer;
      const k = Math.min(c.length - this.#head, left);
      this.#head += k;
      left -= k;
      if (this.#head === c.length) this.#dropHead();
    }
    this.#available -= dropped;
    this.#offset += n;
    if (n > dropped) skipSource(n - dropped);
  }

  /** Removes and returns exactly n buffered bytes (call need(n) first). */
  take(n: number): Buffer {
    if (n > this.#available) throw new RangeError(`ByteQueue: take(${n}) with ${this.#available} available`);
    let out: Buffer;
    const first = this.#chunks[0];
    if (n === 0) {
      out = Buffer.alloc(0);
    } else if (first !== undefined && first.length - this.#head >= n) {
      out = first.subarray(this.#head, this.#head + n);
      this.#head += n;
      if (this.#head === first.length) this.#dropHead();
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.#chunks[0] as Buffer;
        const k = Math.min(c.length - this.#head, n - filled);
        c.copy(out, filled, this.#head, this.#head + k);
        filled += k;
        this.#head += k;
        if (this.#head === c.length) this.#dropHead();
      }
    }
    this.#available -= n;
    this.#offset += n;
    return out;
  }

  /** Everything still buffered (used for error reporting and trailing-byte checks). */
  takeRest(): Buffer {
    return this.take(this.#available);
  }

  /** Returns buffered bytes without consuming them (n must be <= available). */
  peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first !== undefined && first.length - this.#head >= n) return first.subarray(this.#head, this.#head + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let head = this.#head;
    for (const c of this.#chunks) {
      const k = Math.min(c.length - head, n - filled);
      c.copy(out, filled, head, head + k);
      filled += k;
      head = 0;
      if (filled === n) break;
    }
    return out;
  }
}
