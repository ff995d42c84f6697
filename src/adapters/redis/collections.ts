// Redis collections on the decode side (spec redis.md §2.3.4-2.3.8, §2.5, §2.6.3-2.6.7; elastickv:
// internal/backup/redis_hash.go, redis_list.go, redis_set.go, redis_zset.go, redis_stream.go).
//
// Rows of a collection arrive spread over the snapshot (fields before meta, TTL rows in between), so they become
// records of one external sorter per type, keyed `seg(K) ‖ record type ‖ sub-key`, where seg(K) escapes 00 as
// 00 FF and ends in 00 01 (bytewise key order is kept). Meta, TTL and delta rows are a record each; element rows
// that arrive in order are packed into chunk records, and the rest are a record each (element-chunks.ts). At
// Finalize each type's records come back grouped by key, with meta and TTL records first and elements in output
// order (hash fields, set and zset members by bytes, list items by signed sequence, stream entries by id), and
// each key's file is written as it streams, by its type's renderer (collections-render.ts): memory holds one
// chunk at a time, not a collection. This module keeps each key's meta, TTL and delta state and opens and closes
// its file.

import { DataError } from '../../errors.ts';
import type { ExternalSorter } from '../../sort/external-sort.ts';
import { encodeSegment } from '../../tree/segment.ts';
import type { FileSink } from '../../tree/writer.ts';
import type { DecodeContext } from '../adapter.ts';
import { u64be } from '../../bytes/big-endian.ts';
import { CHUNK, ChunkCursor, ElementChunker, SINGLE } from './element-chunks.ts';
import {
  Gather,
  newRenderer,
  ttlOf,
  type CollectionRenderer,
  type CollectionType,
  type KeyOutput,
  type KeyState,
} from './collections-render.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

/** What an add returns: a promise only when it had to wait for memory. */
type Pending = Promise<void> | undefined;

const FLUSH_ORDER: readonly CollectionType[] = ['hash', 'list', 'set', 'zset', 'stream'];
const SINGLE_TAG = Buffer.from([SINGLE]);

/**
 * Record types, in the order they sort within one key (`present` marks a state with no element rows; `delta`
 * carries one meta delta row's length change).
 */
export const REC = { meta: 0, ttl: 1, delta: 2, present: 3, legacy: 4, element: 5 } as const;

/** Length of `seg(K)` at the start of a sorter key, its 00 01 terminator included. */
function segLength(k: Buffer): number {
  let i = k.indexOf(0);
  while (k[i + 1] === 0xff) i = k.indexOf(0, i + 2);
  return i + 2;
}

/** Whether `k` starts with `prefix` and holds more (a loop for short prefixes: no native call). */
function startsWith(k: Buffer, prefix: Buffer): boolean {
  const n = prefix.length;
  if (k.length <= n) return false;
  if (n > 64) return k.compare(prefix, 0, n, 0, n) === 0;
  for (let i = 0; i < n; i++) if (k[i] !== prefix[i]) return false;
  return true;
}

/** The user key in a sorter key's first `segLen` bytes: a view when K has no 00 byte, else unescaped. */
function userKeyOf(k: Buffer, segLen: number): Buffer {
  if (k.indexOf(0) === segLen - 2) return k.subarray(0, segLen - 2);
  const raw: number[] = [];
  for (let i = 0; i < segLen - 2; i++) {
    raw.push(k[i] as number);
    if (k[i] === 0) i++;
  }
  return Buffer.from(raw);
}

/** A meta record value: inline flag, declared length, inline expiry, stream last id. */
export function metaRecord(inline: boolean, declared: bigint, ms: bigint, lastMs = 0n, lastSeq = 0n): Buffer {
  return Buffer.concat([Buffer.from([inline ? 1 : 0]), u64be(declared), u64be(ms), u64be(lastMs), u64be(lastSeq)]);
}

/** The file of the key being written, opened on first use; decides once whether the key is skipped as expired. */
class KeyFile implements KeyOutput {
  readonly state: KeyState;
  readonly #ctx: DecodeContext;
  readonly #renderer: CollectionRenderer;
  readonly #out: Gather;
  readonly #dir: string;
  #seg: string | undefined;
  #sink: FileSink | undefined;
  /** Set once the key was found damaged (and set apart): its remaining records are read past. */
  damaged = false;

  constructor(ctx: DecodeContext, renderer: CollectionRenderer, out: Gather, userKey: Buffer, dir: string) {
    this.#ctx = ctx;
    this.#renderer = renderer;
    this.#out = out;
    this.#dir = dir;
    this.state = {
      userKey,
      hasRows: false,
      metaSeen: false,
      deltaSeen: false,
      declared: 0n,
      deltaSum: 0n,
      lastMs: 0n,
      lastSeq: 0n,
      inline: false,
      inlineMs: 0n,
      ttlRow: undefined,
      count: 0,
      expired: undefined,
    };
  }

  /** The file's name stem: the key's segment (recorded in KEYMAP.jsonl only once the key is written whole). */
  get seg(): string {
    this.#seg ??= encodeSegment(this.state.userKey);
    return this.#seg;
  }

  /** The file's path in the tree. */
  get path(): string {
    return `${this.#dir}/${this.seg}${this.#renderer.extension}`;
  }

  async open(): Promise<Gather> {
    if (this.#sink !== undefined) return this.#out;
    this.#sink = await this.#ctx.tree.create(this.path);
    this.#out.sink = this.#sink;
    if (this.#renderer.header !== '') this.#out.text(this.#renderer.header);
    return this.#out;
  }

  /**
   * With `expired: 'skip'`, a key whose TTL has passed at the snapshot's time is left out (the node:
   * !ttl.After(now)).
   */
  skipped(): boolean {
    const s = this.state;
    if (s.expired === undefined) {
      const ttl = ttlOf(s);
      s.expired = this.#ctx.switches.expired === 'skip' && ttl !== null && ttl <= this.#ctx.snapshotTimeMs;
    }
    return s.expired;
  }

  next(): Gather | undefined | Promise<Gather> {
    this.state.count++;
    if (this.skipped()) return undefined;
    return this.#sink === undefined ? this.open() : this.#out;
  }

  /** Whether the file was created. */
  get opened(): boolean {
    return this.#sink !== undefined;
  }

  async close(): Promise<void> {
    if (this.#sink === undefined) return;
    this.#out.drain();
    await this.#sink.close();
  }
}

/** Told the file stem and user key of each collection key written whole. */
type KeyNamed = (seg: string, userKey: Buffer) => Promise<void>;

export class CollectionCollector {
  readonly #ctx: DecodeContext;
  readonly #sorters = new Map<CollectionType, ExternalSorter>();
  readonly #chunkers = new Map<CollectionType, ElementChunker>();
  /** The sorter key under construction (the sorter copies it). */
  #key = Buffer.allocUnsafe(256);
  /** Parked TTLs taken by a set, sorted set or stream during flush. */
  claimed = 0;

  constructor(ctx: DecodeContext) {
    this.#ctx = ctx;
  }

  /** Whether any row of the type arrived. */
  has(type: CollectionType): boolean {
    return this.#sorters.has(type) || this.#chunkers.has(type);
  }

  #sorter(type: CollectionType): ExternalSorter {
    let s = this.#sorters.get(type);
    if (s === undefined) {
      s = this.#ctx.newSorter();
      this.#sorters.set(type, s);
    }
    return s;
  }

  /**
   * Writes `seg(K) ‖ rec` into the key under construction, K being `src[from, to)`, with room for `subLength` more
   * bytes; returns where the sub-key goes. K's 00 bytes are escaped as 00 FF, then the 00 01 terminator.
   */
  #segment(src: Uint8Array, from: number, to: number, rec: number, subLength: number): number {
    const max = 2 * (to - from) + 3 + subLength;
    if (this.#key.length < max) this.#key = Buffer.allocUnsafe(2 * max);
    const k = this.#key;
    let j = 0;
    for (let i = from; i < to; i++) {
      const b = src[i] as number;
      k[j++] = b;
      if (b === 0) k[j++] = 0xff;
    }
    k[j++] = 0;
    k[j++] = 1;
    k[j++] = rec;
    return j;
  }

  /** Adds a record `seg(K) ‖ rec ‖ sub`; a promise only when the sorter had to wait for memory. */
  add(type: CollectionType, userKey: Uint8Array, rec: number, sub: Uint8Array, value: Uint8Array): Pending {
    const j = this.#segment(userKey, 0, userKey.length, rec, sub.length);
    this.#key.set(sub, j);
    return this.#sorter(type).add(this.#key.subarray(0, j + sub.length), value);
  }

  /**
   * Adds an element row: K is `row[from, to)` and the sub-key the rest of the row; elements in order are packed into
   * chunks (element-chunks.ts). A promise only when the sorter had to wait for memory.
   */
  addElement(type: CollectionType, row: Uint8Array, from: number, to: number, value: Uint8Array): Pending {
    let c = this.#chunkers.get(type);
    if (c === undefined) {
      c = new ElementChunker(
        (userKey, sub, chunk) => this.add(type, userKey, REC.element, sub, chunk),
        (userKey, sub, v) => this.add(type, userKey, REC.element, sub, Buffer.concat([SINGLE_TAG, v])),
      );
      this.#chunkers.set(type, c);
    }
    return c.add(row, from, to, value);
  }

  /** A parked TTL offered to the types that claim them (sets, sorted sets, streams); kept only where a state exists. */
  async addPending(userKey: Uint8Array, ms: bigint): Promise<void> {
    for (const type of ['set', 'zset', 'stream'] as const) {
      if (this.has(type)) await this.add(type, userKey, REC.ttl, Buffer.alloc(0), u64be(ms));
    }
  }

  /**
   * Writes every collection file, type by type in the reference's order (a key's file stem is its segment);
   * `name` is told the segment and key of each key written, for its KEYMAP record. Counts the parked TTLs claimed
   * in `claimed`.
   */
  async flush(db: string, name: KeyNamed): Promise<void> {
    for (const c of this.#chunkers.values()) await c.finish();
    for (const type of FLUSH_ORDER) {
      const sorter = this.#sorters.get(type);
      if (sorter === undefined) continue;
      const r = newRenderer(type, this.#ctx);
      await this.#ctx.tree.mkdir(`${db}/${r.dir}`);
      await this.#flushType(r, sorter, `${db}/${r.dir}`, name);
    }
  }

  async #flushType(
    r: CollectionRenderer,
    sorter: ExternalSorter,
    dir: string,
    name: KeyNamed,
  ): Promise<void> {
    const out = new Gather();
    const lane = new ChunkCursor();
    let file: KeyFile | undefined;
    let seg: Buffer | undefined;
    let segLen = 0;
    for await (const batch of sorter.sortedBatches())
      for (const rec of batch) {
        const key = asBuffer(rec.key);
        const value = asBuffer(rec.value);
        // seg(K) ends at its first 00 01, so a key that starts with the current key's whole seg has the same K.
        if (seg === undefined || !startsWith(key, seg)) {
          if (file !== undefined) {
            await this.#drain(r, file, lane, undefined);
            await this.#finishKey(r, file, name);
          }
          segLen = segLength(key);
          seg = key.subarray(0, segLen);
          file = new KeyFile(this.#ctx, r, out, userKeyOf(key, segLen), dir);
          r.begin();
        }
        if ((file as KeyFile).damaged) continue;
        const s = (file as KeyFile).state;
        switch (key[segLen]) {
          case REC.meta:
            s.hasRows = true;
            s.metaSeen = true;
            s.declared = value.readBigUInt64BE(1);
            if (value[0] === 1) {
              s.inline = true;
              s.inlineMs = value.readBigUInt64BE(9);
            }
            s.lastMs = value.readBigUInt64BE(17);
            s.lastSeq = value.readBigUInt64BE(25);
            break;
          case REC.ttl:
            s.ttlRow = value.readBigUInt64BE(0);
            break;
          case REC.delta:
            s.hasRows = true;
            s.deltaSeen = true;
            s.deltaSum += value.readBigInt64BE(0);
            break;
          case REC.present:
            s.hasRows = true;
            break;
          case REC.legacy:
            s.hasRows = true;
            r.legacy?.(key.subarray(segLen + 1), value);
            break;
          default: {
            s.hasRows = true;
            if (value[0] === CHUNK) {
              // The chunk before ends below this one's first element (a key's chunks do not overlap).
              await this.#drain(r, file as KeyFile, lane, undefined);
              lane.open(value);
              break;
            }
            const sub = key.subarray(segLen + 1);
            await this.#drain(r, file as KeyFile, lane, sub);
            await this.#element(r, file as KeyFile, sub, value.subarray(1));
          }
        }
      }
    if (file !== undefined) {
      await this.#drain(r, file, lane, undefined);
      await this.#finishKey(r, file, name);
    }
  }

  /** Writes the open chunk's elements up to and including sub-key `upTo` (all of them when undefined). */
  async #drain(r: CollectionRenderer, file: KeyFile, lane: ChunkCursor, upTo: Buffer | undefined): Promise<void> {
    while (lane.more && !file.damaged && (upTo === undefined || lane.compareNext(upTo) <= 0)) {
      lane.next();
      const pending = this.#element(r, file, lane.sub, lane.value);
      if (pending !== undefined) await pending;
    }
    if (upTo === undefined || file.damaged) lane.clear();
  }

  /** One element of the key, in output order; a key the renderer finds damaged is set apart. */
  #element(r: CollectionRenderer, file: KeyFile, sub: Buffer, value: Buffer): Promise<void> | undefined {
    try {
      const pending = r.element(file, sub, value);
      return pending?.catch((err: unknown) => this.#renderFailed(r, file, err));
    } catch (err) {
      return this.#renderFailed(r, file, err);
    }
  }

  #renderFailed(r: CollectionRenderer, file: KeyFile, err: unknown): Promise<void> {
    if (!(err instanceof DataError)) throw err;
    return this.#damaged(r, file, err);
  }

  /**
   * A key found damaged once its rows were read (the renderer's checks, the length check): reported whole, with
   * its file if it was opened; with --salvage the key's other records are read past.
   */
  async #damaged(r: CollectionRenderer, file: KeyFile, error: DataError): Promise<void> {
    await file.close();
    file.damaged = true;
    const scope = Buffer.from(String(this.#ctx.switches.redisDbIndex));
    await this.#ctx.damaged({
      error,
      rows: { scope, type: r.type, key: file.state.userKey },
      written: file.opened ? [file.path] : [],
    });
  }

  /** Ends a key: the rest of its file, the length check, closing it and recording its name. */
  async #finishKey(r: CollectionRenderer, file: KeyFile, name: KeyNamed): Promise<void> {
    const s = file.state;
    if (!s.hasRows || file.damaged) return;
    if (s.ttlRow !== undefined && r.claimsParkedTtl) this.claimed++;
    await r.endElements(file);
    if (file.skipped() && r.skipsExpired(s)) {
      this.#ctx.expiredSkipped();
      return;
    }
    try {
      await r.finish(file);
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      await this.#damaged(r, file, err);
      return;
    }
    if ((s.metaSeen || s.deltaSeen) && BigInt(s.count) !== s.declared + s.deltaSum) {
      // The file holds no length: the encoder derives the meta row from the elements, so a meta row that
      // disagrees with them would be lost without a trace. Seen through the newest versions (what the node serves)
      // the two agree on every node snapshot we have; it is damage, refused like a stream's. Read version-blind
      // (--versions all, the reference's reading) older meta rows make real snapshots disagree: a warning there.
      if (this.#ctx.switches.resolvedVersions) {
        const error = new DataError(
          'REDIS_COLLECTION_LENGTH_MISMATCH',
          `the meta row of ${r.type} key ${JSON.stringify(s.userKey.toString('utf8'))} declares ${s.declared + s.deltaSum} elements but the snapshot holds ${s.count}`,
          { key: s.userKey },
        );
        await this.#damaged(r, file, error);
        return;
      }
      this.#ctx.warn(`redis_${r.type}_length_mismatch`, {
        user_key_len: s.userKey.length,
        declared_len: s.declared + s.deltaSum,
        [r.observed]: s.count,
        hint: 'declared length differs from the rows in the snapshot; the rows are dumped',
      });
    }
    await file.close();
    if (file.opened) await name(file.seg, s.userKey);
  }
}
