// Streaming writer of the native `.fsm` payload (spec core.md §1.1, §1.8).
//
// `EKVPBBL1` | LE64(lastCommitTS), then for each entry LE64(len key) | key | LE64(len value) | value.
// Entries must be given in ascending encoded-key order; the writer checks that (and rejects duplicates) so a
// caller bug can never produce a snapshot the store would misread. Output goes to any byte sink.

import { DataError } from '../errors.ts';
import { HEADER_SIZE, MAGIC, MAX_ENCODED_KEY, MAX_ENCODED_VALUE } from './format.ts';

/** Where `SnapshotWriter` puts its bytes (a file handle, a hash, a stream adapter). */
export interface ByteSink {
  write(chunk: Uint8Array): void | Promise<void>;
}

const BLOCK = 1024 * 1024;

/**
 * Streaming writer of a native `.fsm`: `writeHeader`, then `writeEntry` in ascending encoded-key order (checked),
 * then `flush`.
 */
export class SnapshotWriter {
  readonly #sink: ByteSink;
  #block = Buffer.allocUnsafe(BLOCK);
  #used = 0;
  #last: Uint8Array | undefined;
  #bytes = 0;
  #entries = 0;

  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  get bytesWritten(): number {
    return this.#bytes;
  }

  get entries(): number {
    return this.#entries;
  }

  async writeHeader(lastCommitTs: bigint): Promise<void> {
    const h = Buffer.allocUnsafe(HEADER_SIZE);
    MAGIC.copy(h, 0);
    h.writeBigUInt64LE(lastCommitTs, 8);
    await this.#put(h);
  }

  /** Appends one entry (an encoded MVCC key and an encoded value). */
  async writeEntry(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#begin(key, value.length);
    const need = 16 + key.length + value.length;
    if (this.#used + need <= BLOCK) {
      // The common case: the whole entry goes into the block (lengths are LE64 whose high words are 0: both caps fit
      // in 32 bits).
      const b = this.#block;
      const at = this.#used;
      b.writeUInt32LE(key.length, at);
      b.writeUInt32LE(0, at + 4);
      b.set(key, at + 8);
      b.writeUInt32LE(value.length, at + 8 + key.length);
      b.writeUInt32LE(0, at + 12 + key.length);
      b.set(value, at + 16 + key.length);
      this.#used = at + need;
      this.#bytes += need;
      return;
    }
    await this.#putLengthAndKey(key, value.length);
    await this.#put(value);
  }

  /**
   * Appends one entry whose value is `head` followed by `bodyLength` bytes that `readBody(block, at, n)` copies
   * straight into the output block (and returns how many it copied: n, or fewer when its source ended early,
   * which is an error the callback reports itself). Large values thus reach the sink without a copy of their own.
   */
  async writeEntryFrom(
    key: Uint8Array,
    head: Uint8Array,
    bodyLength: number,
    readBody: (block: Buffer, at: number, n: number) => number,
  ): Promise<void> {
    this.#begin(key, head.length + bodyLength);
    await this.#putLengthAndKey(key, head.length + bodyLength);
    await this.#put(head);
    for (let left = bodyLength; left > 0; ) {
      if (this.#used === BLOCK) await this.flush();
      const n = Math.min(left, BLOCK - this.#used);
      const got = readBody(this.#block, this.#used, n);
      if (got !== n) throw new Error(`SnapshotWriter: value source gave ${got} bytes, not ${n}`);
      this.#used += n;
      this.#bytes += n;
      left -= n;
    }
  }

  /** The checks every entry passes: both length caps, and keys strictly ascending. */
  #begin(key: Uint8Array, valueLength: number): void {
    if (key.length > MAX_ENCODED_KEY) {
      throw new DataError('ENCODE_KEY_TOO_LARGE', `encoded key length exceeds limit: length ${key.length} > ${MAX_ENCODED_KEY}`, { key });
    }
    if (valueLength > MAX_ENCODED_VALUE) {
      throw new DataError('ENCODE_VALUE_TOO_LARGE', `encoded value length exceeds limit: length ${valueLength} > ${MAX_ENCODED_VALUE}`, { key });
    }
    if (this.#last !== undefined) {
      const c = Buffer.compare(this.#last, key);
      if (c === 0) throw new DataError('ENCODE_DUPLICATE_KEY', 'duplicate encoded key in snapshot build', { key });
      if (c > 0) throw new Error('SnapshotWriter: entries out of order');
    }
    this.#last = key;
    this.#entries++;
  }

  async #putLengthAndKey(key: Uint8Array, valueLength: number): Promise<void> {
    const lens = Buffer.alloc(8);
    lens.writeUInt32LE(key.length, 0);
    await this.#put(lens);
    await this.#put(key);
    const vlen = Buffer.alloc(8);
    vlen.writeUInt32LE(valueLength, 0);
    await this.#put(vlen);
  }

  async #put(b: Uint8Array): Promise<void> {
    this.#bytes += b.length;
    if (b.length >= BLOCK) {
      await this.flush();
      await this.#sink.write(b);
      return;
    }
    if (this.#used + b.length > BLOCK) await this.flush();
    this.#block.set(b, this.#used);
    this.#used += b.length;
  }

  /** Hands buffered bytes to the sink. Call once at the end. */
  async flush(): Promise<void> {
    if (this.#used === 0) return;
    const out = this.#block.subarray(0, this.#used);
    this.#block = Buffer.allocUnsafe(BLOCK);
    this.#used = 0;
    await this.#sink.write(out);
  }
}
