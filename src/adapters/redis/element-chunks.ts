// Element rows of a Redis collection packed into chunks on the decode side (spec redis.md §2.3.4-2.3.8).
//
// The rows of one hash, set, sorted set or stream arrive together (their keys carry the user key as
// BE32 length ‖ bytes, so no other key's rows fall in between), and their sub-keys (field, member, entry id, list
// sequence) arrive in output order but where one is a proper prefix of another: member "a" follows "ab" (its row
// key continues with the inverted commit timestamp, FE…). So the collector does not give every element row a
// sorter record of its own: an ElementChunker packs a key's elements that arrive in order (each sub-key at least
// the one before) into chunks of up to CHUNK_BYTES, each one sorter record `seg(K) ‖ element ‖ first sub-key`
// tagged CHUNK, and gives any element that arrives below the last one a record of its own, tagged SINGLE. A key's
// chunks never overlap and come in order; a SINGLE element closes the open chunk first, so where one has the
// sub-key of an element in a chunk, the chunk was added first. At flush, ChunkCursor walks the open chunk, and a
// SINGLE record is preceded by the chunk's elements up to and including its sub-key: both meet in output order,
// and ties keep arrival order (as one record per element sorted stably did).
//
// List item keys carry the user key bare (`!lst|itm|K SEQ`), so a key's rows can be split by those of a key it
// prefixes or that prefixes it ("a" SEQ1 < "ab" … < "a" SEQ2 when the sequences differ in their first byte). The
// key then starts again with new chunks, which still follow its earlier ones: its sequences are all 8 bytes, so
// they arrive in order across the split too.
//
// Chunk layout: (LE32 sub length ‖ sub ‖ LE32 value length ‖ value)…, after the tag byte.

import { compareBytes } from '../../bytes/compare.ts';
import { copyBytes } from '../../bytes/copy.ts';
import { putLe32, readLe32 } from '../../bytes/little-endian.ts';

/** Tag byte of an element record's value: one element (the value follows), or a chunk of them. */
export const SINGLE = 0;
export const CHUNK = 1;

/** Chunk bytes after which a chunk is closed (an element longer than that gets a chunk of its own). */
const CHUNK_BYTES = 64 * 1024;

/** Where a chunk goes: the sorter record `seg(K) ‖ element ‖ sub` with `value`; a promise when it had to wait. */
export type ElementSink = (userKey: Buffer, sub: Uint8Array, value: Uint8Array) => Promise<void> | undefined;

/** Packs the in-order element rows of one collection type into chunks (see the head of this module). */
export class ElementChunker {
  readonly #out: ElementSink;
  readonly #single: ElementSink;
  /** The current user key (a copy), `#keyLen` bytes; -1 before the first. */
  #key = Buffer.allocUnsafe(64);
  #keyLen = -1;
  /** The open chunk: tag byte, then elements; `#used` bytes, `#count` elements. */
  #chunk = Buffer.allocUnsafe(CHUNK_BYTES + 1024);
  #used = 1;
  /** The last in-order sub-key: `#lastLen` bytes at `#lastAt` in `#lastBuf` (the chunk, or a copy once it closed). */
  #lastBuf: Buffer = this.#chunk;
  #lastAt = 0;
  #lastLen = -1;
  #saved = Buffer.allocUnsafe(64);

  /** `chunk` takes closed chunks, `single` the other elements (their value is tagged SINGLE by the sink). */
  constructor(chunk: ElementSink, single: ElementSink) {
    this.#out = chunk;
    this.#single = single;
    this.#chunk[0] = CHUNK;
  }

  /**
   * An element row: user key `row[from, to)`, sub-key the rest of the row. A promise only when a record had to wait
   * for memory; the caller waits for it before the next call.
   */
  add(row: Uint8Array, from: number, to: number, value: Uint8Array): Promise<void> | undefined {
    const keyLen = to - from;
    if (keyLen !== this.#keyLen || compareBytes(row, from, to, this.#key, 0, keyLen) !== 0) {
      const closed = this.#close();
      if (closed !== undefined) return closed.then(() => this.#startKey(row, from, to, value));
      return this.#startKey(row, from, to, value);
    }
    const last = this.#lastAt;
    if (this.#lastLen >= 0 && compareBytes(row, to, row.length, this.#lastBuf, last, last + this.#lastLen) < 0) {
      const closed = this.#close();
      const userKey = this.#key.subarray(0, keyLen);
      const sub = row.subarray(to);
      if (closed !== undefined) return closed.then(() => this.#single(userKey, sub, value));
      return this.#single(userKey, sub, value);
    }
    return this.#append(row, to, value);
  }

  /** Closes the open chunk (at the end of the type's rows). */
  finish(): Promise<void> | undefined {
    return this.#close();
  }

  #startKey(row: Uint8Array, from: number, to: number, value: Uint8Array): Promise<void> | undefined {
    const keyLen = to - from;
    if (this.#key.length < keyLen) this.#key = Buffer.allocUnsafe(2 * keyLen);
    copyBytes(this.#key, 0, row, from, to);
    this.#keyLen = keyLen;
    this.#lastLen = -1;
    return this.#append(row, to, value);
  }

  /** Appends `row[to…)` and `value` to the open chunk, closing it once it is full. */
  #append(row: Uint8Array, to: number, value: Uint8Array): Promise<void> | undefined {
    const subLen = row.length - to;
    const need = 8 + subLen + value.length;
    if (this.#used + need > this.#chunk.length) {
      const grown = Buffer.allocUnsafe(this.#used + need);
      this.#chunk.copy(grown, 0, 0, this.#used);
      this.#chunk = grown;
    }
    const c = this.#chunk;
    let at = this.#used;
    putLe32(c, at, subLen);
    copyBytes(c, at + 4, row, to, row.length);
    this.#lastBuf = c;
    this.#lastAt = at + 4;
    this.#lastLen = subLen;
    at += 4 + subLen;
    putLe32(c, at, value.length);
    copyBytes(c, at + 4, value, 0, value.length);
    this.#used = at + 4 + value.length;
    return this.#used - 1 >= CHUNK_BYTES ? this.#close() : undefined;
  }

  /** Hands the open chunk to the sink, keeping a copy of the last sub-key; a promise when the sink had to wait. */
  #close(): Promise<void> | undefined {
    if (this.#used === 1) return undefined;
    const c = this.#chunk;
    if (this.#lastLen >= 0) {
      if (this.#saved.length < this.#lastLen) this.#saved = Buffer.allocUnsafe(2 * this.#lastLen);
      c.copy(this.#saved, 0, this.#lastAt, this.#lastAt + this.#lastLen);
      this.#lastBuf = this.#saved;
      this.#lastAt = 0;
    }
    const used = this.#used;
    this.#used = 1;
    if (c.length > 2 * CHUNK_BYTES) {
      // Grown for one large element: the next chunk starts in a buffer of the usual size.
      this.#chunk = Buffer.allocUnsafe(CHUNK_BYTES + 1024);
      this.#chunk[0] = CHUNK;
    }
    // The chunk's first sub-key is its record's sort key; the sink copies both before it returns or resolves, and
    // the chunk is not written again until then (the caller waits).
    const firstLen = c.readUInt32LE(1);
    return this.#out(this.#key.subarray(0, this.#keyLen), c.subarray(5, 5 + firstLen), c.subarray(0, used));
  }
}

const EMPTY = Buffer.alloc(0);

/** Reads the elements of one chunk in order, at flush. */
export class ChunkCursor {
  #chunk: Buffer | undefined;
  #at = 0;
  sub: Buffer = EMPTY;
  value: Buffer = EMPTY;

  /** Starts on a chunk record's value (tag byte included); the previous chunk must have been read to its end. */
  open(chunk: Buffer): void {
    this.#chunk = chunk;
    this.#at = 1;
  }

  /** Drops what remains of the open chunk. */
  clear(): void {
    this.#chunk = undefined;
  }

  /** Whether an element remains (then `peekSub` compares with it and `next` moves onto it). */
  get more(): boolean {
    return this.#chunk !== undefined && this.#at < this.#chunk.length;
  }

  /** Compares the next element's sub-key with `sub` (callers check `more` first). */
  compareNext(sub: Buffer): number {
    const c = this.#chunk as Buffer;
    const len = readLe32(c, this.#at);
    return compareBytes(c, this.#at + 4, this.#at + 4 + len, sub, 0, sub.length);
  }

  /** Moves onto the next element: `sub` and `value` are views of it. */
  next(): void {
    const c = this.#chunk as Buffer;
    let at = this.#at;
    const subLen = readLe32(c, at);
    this.sub = c.subarray(at + 4, at + 4 + subLen);
    at += 4 + subLen;
    const valueLen = readLe32(c, at);
    this.value = valueLen === 0 ? EMPTY : c.subarray(at + 4, at + 4 + valueLen);
    this.#at = at + 4 + valueLen;
  }
}
