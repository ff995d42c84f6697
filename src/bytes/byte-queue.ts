// A pull-based byte queue over an async chunk source: `need(n)` waits until n bytes are buffered (or the
// source ends), `take(n)` removes them. Reads inside one chunk are zero-copy views; reads spanning chunks are
// copied once. Tracks the absolute offset of the next unread byte for error messages.

export class ByteQueue {
  readonly #it: AsyncIterator<Uint8Array>;
  #chunks: Buffer[] = [];
  #head = 0; // read position inside #chunks[0]
  #available = 0;
  #ended = false;
  #offset = 0;
  readonly #onConsume: ((b: Buffer) => void) | undefined;

  /** `onConsume` sees every byte exactly once, in order, as it is taken. */
  constructor(source: AsyncIterable<Uint8Array>, onConsume?: (b: Buffer) => void) {
    this.#it = source[Symbol.asyncIterator]();
    this.#onConsume = onConsume;
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
      this.#chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
      this.#available += c.length;
    }
    return true;
  }

  /** True when no byte is buffered and the source has ended. */
  async atEnd(): Promise<boolean> {
    return !(await this.need(1));
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
      if (this.#head === first.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.#chunks[0] as Buffer;
        const k = Math.min(c.length - this.#head, n - filled);
        c.copy(out, filled, this.#head, this.#head + k);
        filled += k;
        this.#head += k;
        if (this.#head === c.length) {
          this.#chunks.shift();
          this.#head = 0;
        }
      }
    }
    this.#available -= n;
    this.#offset += n;
    this.#onConsume?.(out);
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
