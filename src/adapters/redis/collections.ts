// Redis collections on the decode side (spec redis.md §2.3.4-2.3.8, §2.5, §2.6.3-2.6.7; elastickv:
// internal/backup/redis_hash.go, redis_list.go, redis_set.go, redis_zset.go, redis_stream.go).
//
// Rows of a collection arrive spread over the snapshot (fields before meta, TTL rows in between), so every
// row becomes a record of one external sorter per type, keyed `seg(K) ‖ record type ‖ sub-key`, where
// seg(K) escapes 00 as 00 FF and ends in 00 01 (bytewise key order is kept). At Finalize each type's records
// come back grouped by key, with meta and TTL records first and elements in output order (hash fields,
// set and zset members by bytes, list items by signed sequence, stream entries by id), and each key's
// document is written as it streams: memory holds one element at a time, not a collection.

import { DataError } from '../../errors.ts';
import type { ExternalSorter } from '../../sort/external-sort.ts';
import type { FileSink } from '../../tree/writer.ts';
import type { DecodeContext } from '../adapter.ts';
import { binIndented, binValue, compact, scoreValue } from './binary-json.ts';
import { readStreamEntry } from './proto.ts';
import { u64be } from '../../bytes/big-endian.ts';

export type CollectionType = 'hash' | 'list' | 'set' | 'zset' | 'stream';
const FLUSH_ORDER: readonly CollectionType[] = ['hash', 'list', 'set', 'zset', 'stream'];
const DIRS: Readonly<Record<CollectionType, string>> = { hash: 'hashes', list: 'lists', set: 'sets', zset: 'zsets', stream: 'streams' };

/**
 * Record types, in the order they sort within one key (`present` marks a state with no element rows; `delta`
 * carries one meta delta row's length change).
 */
export const REC = { meta: 0, ttl: 1, delta: 2, present: 3, legacy: 4, element: 5 } as const;

const asBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Length of `seg(K)` at the start of a sorter key, its 00 01 terminator included. */
function segLength(k: Buffer): number {
  let i = k.indexOf(0);
  while (k[i + 1] === 0xff) i = k.indexOf(0, i + 2);
  return i + 2;
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

/** Bytes a JSON string may hold as they are (Go, HTML-escaping): printable ASCII but `"`, `\\`, `<`, `>`, `&`. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) PLAIN[c] = c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26 ? 0 : 1;

/**
 * The current collection file's bytes, gathered in one reused buffer and handed to the sink in large writes
 * (one copy and one hash update per block instead of per element).
 */
class Gather {
  #buf = Buffer.allocUnsafe(64 * 1024);
  #used = 0;
  sink: FileSink | undefined;

  #room(n: number): void {
    if (this.#used + n <= this.#buf.length) return;
    this.drain();
    if (n > this.#buf.length) this.#buf = Buffer.allocUnsafe(n);
  }

  /** Text (UTF-8). */
  text(s: string): void {
    this.#room(3 * s.length);
    this.#used += this.#buf.write(s, this.#used, 'utf8');
  }

  /** <bin> nested `depth` levels deep: the bytes quoted as they are when they need no escaping, else binIndented. */
  bin(b: Buffer, depth: number): void {
    for (let i = 0; i < b.length; i++) {
      if (PLAIN[b[i] as number] === 0) {
        this.text(binIndented(b, depth));
        return;
      }
    }
    this.#room(b.length + 2);
    const buf = this.#buf;
    buf[this.#used] = 0x22;
    b.copy(buf, this.#used + 1);
    buf[this.#used + 1 + b.length] = 0x22;
    this.#used += b.length + 2;
  }

  /** Hands the gathered bytes to the sink. */
  drain(): void {
    if (this.#used === 0) return;
    (this.sink as FileSink).writeNow(this.#buf.subarray(0, this.#used));
    this.#used = 0;
  }
}

interface KeyState {
  userKey: Buffer;
  /** False while the key has only a parked TTL record: no state of this type, nothing to write. */
  hasRows: boolean;
  metaSeen: boolean;
  deltaSeen: boolean;
  declared: bigint;
  /** The length changes of the key's meta delta rows, summed. */
  deltaSum: bigint;
  lastMs: bigint;
  lastSeq: bigint;
  inline: boolean;
  inlineMs: bigint;
  ttlRow: bigint | undefined;
  count: number;
  /** Decided at the first element or at the end of the key (its meta and TTL records sort first). */
  expired: boolean | undefined;
}

function ttlOf(s: KeyState): bigint | null {
  if (s.inline) return s.inlineMs === 0n ? null : s.inlineMs;
  return s.ttlRow ?? null;
}

export class CollectionCollector {
  readonly #ctx: DecodeContext;
  readonly #sorters = new Map<CollectionType, ExternalSorter>();
  /** The sorter key under construction (the sorter copies it). */
  #key = Buffer.allocUnsafe(256);
  /** Parked TTLs taken by a set, sorted set or stream during flush. */
  claimed = 0;

  constructor(ctx: DecodeContext) {
    this.#ctx = ctx;
  }

  has(type: CollectionType): boolean {
    return this.#sorters.has(type);
  }

  async add(type: CollectionType, userKey: Uint8Array, rec: number, sub: Uint8Array, value: Uint8Array): Promise<void> {
    let s = this.#sorters.get(type);
    if (s === undefined) {
      s = this.#ctx.newSorter();
      this.#sorters.set(type, s);
    }
    // seg(K) ‖ rec ‖ sub, written in place: K's 00 bytes escaped as 00 FF, then the 00 01 terminator.
    const max = 2 * userKey.length + 3 + sub.length;
    if (this.#key.length < max) this.#key = Buffer.allocUnsafe(2 * max);
    const k = this.#key;
    let j = 0;
    if (userKey.indexOf(0) < 0) {
      k.set(userKey, 0);
      j = userKey.length;
    } else {
      for (const b of userKey) {
        k[j++] = b;
        if (b === 0) k[j++] = 0xff;
      }
    }
    k[j++] = 0;
    k[j++] = 1;
    k[j++] = rec;
    k.set(sub, j);
    await s.add(k.subarray(0, j + sub.length), value);
  }

  /** A parked TTL offered to the types that claim them (sets, sorted sets, streams); kept only where a state exists. */
  async addPending(userKey: Uint8Array, ms: bigint): Promise<void> {
    for (const type of ['set', 'zset', 'stream'] as const) {
      if (this.#sorters.has(type)) await this.add(type, userKey, REC.ttl, Buffer.alloc(0), u64be(ms));
    }
  }

  /**
   * Writes every collection file, type by type in the reference's order; `name` maps a key to its file stem
   * (recording KEYMAP entries). Counts the parked TTLs claimed in `claimed`.
   */
  async flush(db: string, name: (k: Buffer) => Promise<string>): Promise<void> {
    for (const type of FLUSH_ORDER) {
      const sorter = this.#sorters.get(type);
      if (sorter === undefined) continue;
      await this.#ctx.tree.mkdir(`${db}/${DIRS[type]}`);
      await this.#flushType(type, sorter, `${db}/${DIRS[type]}`, name);
    }
  }

  async #flushType(
    type: CollectionType,
    sorter: ExternalSorter,
    dir: string,
    name: (k: Buffer) => Promise<string>,
  ): Promise<void> {
    let state: KeyState | undefined;
    let seg: Buffer | undefined;
    let sink: FileSink | undefined;
    /** Elements rendered so far for the current key (written as soon as the header is out). */
    let legacy: Array<{ member: Buffer; score: Buffer }> = [];
    let lastSub: Buffer | undefined;
    let lastValue: Buffer | undefined;
    let sawWide = false;

    const out = new Gather();
    const open = async (): Promise<Gather> => {
      if (sink !== undefined) return out;
      const s = state as KeyState;
      const stem = await name(s.userKey);
      sink = await this.#ctx.tree.create(`${dir}/${stem}${type === 'stream' ? '.jsonl' : '.json'}`);
      out.sink = sink;
      if (type !== 'stream')
        out.text(
          `{\n  "format_version": 1,\n  "${type === 'hash' ? 'fields' : type === 'list' ? 'items' : 'members'}": [`,
        );
      return out;
    };
    /**
     * With `expired: 'skip'`, a key whose TTL has passed at the snapshot's time is left out (the node:
     * !ttl.After(now)).
     */
    const skipped = (s: KeyState): boolean => {
      if (s.expired === undefined) {
        const ttl = ttlOf(s);
        s.expired = this.#ctx.switches.expired === 'skip' && ttl !== null && ttl <= this.#ctx.snapshotTimeMs;
      }
      return s.expired;
    };
    /** Starts the next element of the file (opening it first); undefined when the key is skipped. */
    const next = async (): Promise<Gather | undefined> => {
      const s = state as KeyState;
      if (skipped(s)) {
        s.count++;
        return undefined;
      }
      const o = await open();
      if (type !== 'stream') o.text(s.count === 0 ? '\n' : ',\n');
      s.count++;
      return o;
    };
    /** A `{"<first>": <bin>, "<second>": <rendered>}` element at depth 2. */
    const pair = async (first: string, a: Buffer, second: string, b: string): Promise<void> => {
      const o = await next();
      if (o === undefined) return;
      o.text(`    {\n      "${first}": `);
      o.bin(a, 3);
      o.text(`,\n      "${second}": ${b}\n    }`);
    };
    /** A bare <bin> element at depth 2. */
    const single = async (b: Buffer): Promise<void> => {
      const o = await next();
      if (o === undefined) return;
      o.text('    ');
      o.bin(b, 2);
    };
    /** Emits the pending distinct element (hash fields and list items keep the last row of a sub-key). */
    const emitPending = async (): Promise<void> => {
      if (lastSub === undefined) return;
      const sub = lastSub;
      const value = lastValue as Buffer;
      lastSub = undefined;
      switch (type) {
        case 'hash':
          return pair('name', sub, 'value', binIndented(value, 3));
        case 'list':
          return single(value);
        case 'set':
          return single(sub);
        case 'zset':
          return pair('member', sub, 'score', compact(scoreValue(value.readDoubleBE(0))));
        case 'stream':
          return;
      }
    };
    const finishKey = async (): Promise<void> => {
      if (state === undefined) return;
      const s = state;
      if (!s.hasRows) {
        state = undefined;
        return;
      }
      if (s.ttlRow !== undefined && type !== 'hash' && type !== 'list') this.claimed++;
      await emitPending();
      if (skipped(s) && (type !== 'stream' || s.metaSeen)) {
        this.#ctx.expiredSkipped();
        state = undefined;
        legacy = [];
        sawWide = false;
        return;
      }
      if (type === 'zset' && !sawWide) {
        const byMember = new Map<string, { member: Buffer; score: Buffer }>();
        for (const e of legacy) byMember.set(e.member.toString('latin1'), e);
        for (const e of [...byMember.values()].sort((a, b) => Buffer.compare(a.member, b.member))) {
          await pair('member', e.member, 'score', compact(scoreValue(e.score.readDoubleBE(0))));
        }
      }
      const ttl = ttlOf(s);
      if (type === 'stream') {
        // The stream's _meta line carries the declared length, which the encoder checks against the entries: a
        // stream whose rows disagree with its meta cannot come back, so it is refused here, where it is found.
        if (s.metaSeen && BigInt(s.count) !== s.declared + s.deltaSum) {
          throw new DataError(
            'REDIS_STREAM_LENGTH_MISMATCH',
            `the !stream|meta| row of stream key ${JSON.stringify(s.userKey.toString('utf8'))} declares ${s.declared + s.deltaSum} entries but the snapshot holds ${s.count}`,
            { key: s.userKey },
          );
        }
        if (!s.metaSeen) {
          this.#ctx.warn('redis_stream_orphan_entries_without_meta', {
            user_key_len: s.userKey.length,
            observed_entries: s.count,
            hint: 'stream entries without a !stream|meta| row are not written (the live reader treats the stream as absent)',
          });
        } else {
          (await open()).text(
            `${compact({ _meta: true, length: s.declared, last_ms: s.lastMs, last_seq: s.lastSeq, expire_at_ms: ttl })}\n`,
          );
        }
      } else {
        (await open()).text(
          `${s.count === 0 ? '],' : '\n  ],'}\n  "expire_at_ms": ${ttl === null ? 'null' : ttl.toString()}\n}`,
        );
      }
      if ((s.metaSeen || s.deltaSeen) && BigInt(s.count) !== s.declared + s.deltaSum) {
        const observed = {
          hash: 'observed_fields',
          list: 'observed_items',
          set: 'observed_members',
          zset: 'observed_members',
          stream: 'observed_entries',
        }[type];
        this.#ctx.warn(`redis_${type}_length_mismatch`, {
          user_key_len: s.userKey.length,
          declared_len: s.declared + s.deltaSum,
          [observed]: s.count,
          hint: 'declared length differs from the rows in the snapshot; the rows are dumped',
        });
      }
      if (sink !== undefined) {
        out.drain();
        await sink.close();
      }
      sink = undefined;
      state = undefined;
      legacy = [];
      sawWide = false;
    };

    // Stream entries are written only once the key's meta is known; the meta record sorts first, so an entry
    // arriving with metaSeen false means the stream has no meta row at all.
    for await (const batch of sorter.sortedBatches())
      for (const rec of batch) {
        const key = asBuffer(rec.key);
        const segLen = segLength(key);
        const kind = key[segLen] as number;
        const sub = key.subarray(segLen + 1);
        const value = asBuffer(rec.value);
        if (seg === undefined || seg.length !== segLen || key.compare(seg, 0, segLen, 0, segLen) !== 0) {
          await finishKey();
          seg = key.subarray(0, segLen);
          state = {
            userKey: userKeyOf(key, segLen),
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
        const s = state as KeyState;
        if (kind !== REC.ttl) s.hasRows = true;
        if (kind === REC.meta) {
          s.metaSeen = true;
          s.declared = value.readBigUInt64BE(1);
          if (value[0] === 1) {
            s.inline = true;
            s.inlineMs = value.readBigUInt64BE(9);
          }
          s.lastMs = value.readBigUInt64BE(17);
          s.lastSeq = value.readBigUInt64BE(25);
          continue;
        }
        if (kind === REC.ttl) {
          s.ttlRow = value.readBigUInt64BE(0);
          continue;
        }
        if (kind === REC.delta) {
          s.deltaSeen = true;
          s.deltaSum += value.readBigInt64BE(0);
          continue;
        }
        if (kind === REC.present) continue;
        if (kind === REC.legacy) {
          legacy.push({ member: Buffer.from(sub), score: Buffer.from(value) });
          continue;
        }
        // Elements.
        if (type === 'zset' && !sawWide) {
          sawWide = true;
          legacy = [];
        }
        if (type === 'stream') {
          if (!s.metaSeen) {
            s.count++;
            continue;
          }
          const ms = sub.readBigUInt64BE(0);
          const seq = sub.readBigUInt64BE(8);
          // The meta row's last id is at least every entry's (XADD moves it, trimming keeps it); the encoder refuses
          // a stream whose entries pass it, so such damage is refused here, where the row is known.
          if (ms > s.lastMs || (ms === s.lastMs && seq > s.lastSeq)) {
            throw new DataError(
              'REDIS_STREAM_LAST_ID_BEHIND',
              `stream key ${JSON.stringify(s.userKey.toString('utf8'))}: entry ${ms}-${seq} is past the last id ${s.lastMs}-${s.lastSeq} of its !stream|meta| row`,
              { key: s.userKey },
            );
          }
          const fields = readStreamEntry(value.subarray(5));
          const pairs = [];
          for (let i = 0; i + 1 < fields.length; i += 2)
            pairs.push({ name: binValue(fields[i] as Buffer), value: binValue(fields[i + 1] as Buffer) });
          (await next())?.text(`${compact({ id: `${ms}-${seq}`, fields: pairs })}\n`);
          continue;
        }
        if (lastSub !== undefined && !lastSub.equals(sub)) await emitPending();
        lastSub = sub;
        lastValue = value;
      }
    await finishKey();
  }
}

