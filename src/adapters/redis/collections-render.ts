// Rendering of Redis collection files on the decode side, one renderer per collection type (spec redis.md
// §2.3.4-2.3.8; elastickv: internal/backup/redis_hash.go, redis_list.go, redis_set.go, redis_zset.go,
// redis_stream.go). The collector (collections.ts) groups each type's sorted records by key, keeps the key's meta,
// TTL and delta state, and opens and closes its file; a renderer turns the key's element rows into the file's
// text: hashes, lists, sets and sorted sets as one JSON document, streams as JSON lines.

import { copyBytes } from '../../bytes/copy.ts';
import { DataError } from '../../errors.ts';
import type { FileSink } from '../../tree/writer.ts';
import type { DecodeContext } from '../adapter.ts';
import { PLAIN, binIndented, compact } from './binary-json.ts';
import { readStreamEntry, streamFieldSpans } from './proto.ts';

export type CollectionType = 'hash' | 'list' | 'set' | 'zset' | 'stream';


/**
 * The current collection file's bytes, gathered in one reused buffer and handed to the sink in large writes
 * (one copy and one hash update per block instead of per element).
 */
export class Gather {
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

  /** ASCII text (one byte per character). */
  ascii(s: string): void {
    const n = s.length;
    this.#room(n);
    // A loop for short text (scores): Buffer#write's encoding lookup and native call cost more than the copy up to
    // about 24 characters (58 against 106 ns at 16; 130 against 97 ns at 35).
    if (n > 24) this.#used += this.#buf.write(s, this.#used, 'latin1');
    else {
      const buf = this.#buf;
      let at = this.#used;
      for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
      this.#used = at;
    }
  }

  /**
   * The unsigned 64-bit big-endian integer at `at` of `b`, in decimal: digits written from a number when it is below
   * 2^53 (a stream id's milliseconds and sequence always are in practice), which costs a third of BigInt's string.
   */
  u64Decimal(b: Buffer, at: number): void {
    const hi = b.readUInt32BE(at);
    if (hi >= 0x200000) {
      this.ascii(b.readBigUInt64BE(at).toString());
      return;
    }
    let n = hi * 0x100000000 + b.readUInt32BE(at + 4);
    this.#room(16);
    const buf = this.#buf;
    let end = this.#used + 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) end++;
    this.#used = end;
    do {
      const q = Math.floor(n / 10);
      buf[--end] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** Bytes as they are. */
  raw(b: Buffer): void {
    const n = b.length;
    this.#room(n);
    copyBytes(this.#buf, this.#used, b);
    this.#used += n;
  }

  /** <bin> nested `depth` levels deep: the bytes quoted as they are when they need no escaping, else binIndented. */
  bin(b: Buffer, depth: number): void {
    this.binAt(b, 0, b.length, depth);
  }

  /** bin() of bytes start..end of `b`. */
  binAt(b: Buffer, start: number, end: number, depth: number): void {
    const n = end - start;
    this.#room(n + 2);
    const buf = this.#buf;
    // Copied and checked in one pass; a byte that needs escaping sends the bytes to binIndented instead (what was
    // copied past #used is written over).
    let at = this.#used + 1;
    for (let i = start; i < end; i++) {
      const c = b[i] as number;
      if (PLAIN[c] === 0) {
        this.text(binIndented(b.subarray(start, end), depth));
        return;
      }
      buf[at++] = c;
    }
    buf[this.#used] = 0x22;
    buf[at] = 0x22;
    this.#used = at + 1;
  }

  /** Hands the gathered bytes to the sink. */
  drain(): void {
    if (this.#used === 0) return;
    (this.sink as FileSink).writeNow(this.#buf.subarray(0, this.#used));
    this.#used = 0;
  }
}

/** What the collector knows of the key being written, from its meta, TTL and delta records. */
export interface KeyState {
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
  /** Elements counted so far (written, or passed over when the key is skipped). */
  count: number;
  /** Decided at the first element or at the end of the key (its meta and TTL records sort first). */
  expired: boolean | undefined;
}

/** The key's expiry: the meta row's inline one when it has one, else its `!redis|ttl|` row's, else null. */
export function ttlOf(s: KeyState): bigint | null {
  if (s.inline) return s.inlineMs === 0n ? null : s.inlineMs;
  return s.ttlRow ?? null;
}

/** The key's file as a renderer writes it. */
export interface KeyOutput {
  readonly state: KeyState;
  /** The file's writer, opening the file (and writing the renderer's header) on first use. */
  open(): Promise<Gather>;
  /**
   * Counts the next element and returns the writer for it; undefined when the key is left out as expired. A promise
   * only while the file has yet to be opened.
   */
  next(): Gather | undefined | Promise<Gather | undefined>;
}

/** One collection type's file layout. A renderer holds the elements of one key at a time. */
export interface CollectionRenderer {
  readonly type: CollectionType;
  /** Directory under `redis/db_<n>/`. */
  readonly dir: string;
  readonly extension: '.json' | '.jsonl';
  /** Text written first when the file is opened ('' for none). */
  readonly header: string;
  /** Whether a TTL row of the key counts as a parked TTL claimed (sets, sorted sets and streams). */
  readonly claimsParkedTtl: boolean;
  /** The observed count's name in the `redis_<type>_length_mismatch` warning. */
  readonly observed: string;
  /** A new key starts: forgets the previous key's elements. */
  begin(): void;
  /** An element row of the current key, in output order; a promise only when it had to wait. */
  element(out: KeyOutput, sub: Buffer, value: Buffer): Promise<void> | undefined;
  /** A member of a legacy whole-set blob (sorted sets only). */
  legacy?(sub: Buffer, value: Buffer): void;
  /** Writes what the renderer still holds once the key's elements are all in. */
  endElements(out: KeyOutput): Promise<void>;
  /** Whether an expired key is left out whole (a stream without a meta row is not: it is reported instead). */
  skipsExpired(s: KeyState): boolean;
  /** Writes the rest of the file after the elements: held-back elements, then the footer or meta line. */
  finish(out: KeyOutput): Promise<void>;
}

/** Before a bare element: the newline that starts the array's first one, or the comma and newline before the rest. */
const SINGLE_FIRST = Buffer.from('\n    ');
const SINGLE_NEXT = Buffer.from(',\n    ');
const PAIR_TAIL = Buffer.from('\n    }');

/**
 * The fixed text of a two-field array element: before the first value (with the newline that starts the array's
 * first element, or the comma and newline before a later one) and between the two values.
 */
interface PairNames {
  readonly headFirst: Buffer;
  readonly headNext: Buffer;
  readonly mid: Buffer;
}

const pairNames = (first: string, second: string): PairNames => ({
  headFirst: Buffer.from(`\n    {\n      "${first}": `),
  headNext: Buffer.from(`,\n    {\n      "${first}": `),
  mid: Buffer.from(`,\n      "${second}": `),
});
const HASH_PAIR = pairNames('name', 'value');
const ZSET_PAIR = pairNames('member', 'score');

/** Whether two byte strings are equal: a loop for short ones (no native call), Buffer#equals for the others. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n > 64) return a.equals(b);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A `{"<first>": <bin>, "<second>": ...}` element at depth 2, `names` made by pairNames; the second value is ASCII
 * text already rendered (a score), or bytes written as <bin> (a hash field's value).
 */
function writePair(o: Gather, first: boolean, names: PairNames, a: Buffer, b: string | Buffer): void {
  o.raw(first ? names.headFirst : names.headNext);
  o.bin(a, 3);
  o.raw(names.mid);
  if (typeof b === 'string') o.ascii(b);
  else o.bin(b, 3);
  o.raw(PAIR_TAIL);
}

/** A bare <bin> element at depth 2. */
function writeSingle(o: Gather, first: boolean, b: Buffer): void {
  o.raw(first ? SINGLE_FIRST : SINGLE_NEXT);
  o.bin(b, 2);
}

/** Hashes, lists, sets and sorted sets: a JSON document whose array holds the last row of each sub-key. */
abstract class DocumentRenderer implements CollectionRenderer {
  readonly extension = '.json';
  readonly header: string;
  abstract readonly type: CollectionType;
  abstract readonly dir: string;
  abstract readonly claimsParkedTtl: boolean;
  abstract readonly observed: string;
  #lastSub: Buffer | undefined;
  #lastValue: Buffer | undefined;

  constructor(array: string) {
    this.header = `{\n  "format_version": 1,\n  "${array}": [`;
  }

  /** Writes one distinct element (the last row of its sub-key); a promise only when the file had to be opened. */
  protected abstract render(out: KeyOutput, sub: Buffer, value: Buffer): Promise<void> | undefined;

  /** A `{"<first>": <bin>, "<second>": ...}` array element (see writePair). */
  protected pair(out: KeyOutput, names: PairNames, a: Buffer, b: string | Buffer): Promise<void> | undefined {
    const first = out.state.count === 0;
    const o = out.next();
    if (o instanceof Promise) {
      return o.then((g) => {
        if (g !== undefined) writePair(g, first, names, a, b);
      });
    }
    if (o !== undefined) writePair(o, first, names, a, b);
    return undefined;
  }

  /** A bare <bin> array element. */
  protected single(out: KeyOutput, b: Buffer): Promise<void> | undefined {
    const first = out.state.count === 0;
    const o = out.next();
    if (o instanceof Promise) {
      return o.then((g) => {
        if (g !== undefined) writeSingle(g, first, b);
      });
    }
    if (o !== undefined) writeSingle(o, first, b);
    return undefined;
  }

  begin(): void {
    this.#lastSub = undefined;
  }

  element(out: KeyOutput, sub: Buffer, value: Buffer): Promise<void> | undefined {
    const last = this.#lastSub;
    const lastValue = this.#lastValue;
    this.#lastSub = sub;
    this.#lastValue = value;
    return last === undefined || sameBytes(last, sub) ? undefined : this.render(out, last, lastValue as Buffer);
  }

  async endElements(out: KeyOutput): Promise<void> {
    const sub = this.#lastSub;
    if (sub === undefined) return;
    this.#lastSub = undefined;
    await this.render(out, sub, this.#lastValue as Buffer);
  }

  skipsExpired(): boolean {
    return true;
  }

  async finish(out: KeyOutput): Promise<void> {
    const s = out.state;
    const ttl = ttlOf(s);
    (await out.open()).text(
      `${s.count === 0 ? '],' : '\n  ],'}\n  "expire_at_ms": ${ttl === null ? 'null' : ttl.toString()}\n}`,
    );
  }
}

class HashRenderer extends DocumentRenderer {
  readonly type = 'hash';
  readonly dir = 'hashes';
  readonly claimsParkedTtl = false;
  readonly observed = 'observed_fields';

  constructor() {
    super('fields');
  }

  protected render(out: KeyOutput, sub: Buffer, value: Buffer): Promise<void> | undefined {
    return this.pair(out, HASH_PAIR, sub, value);
  }
}

class ListRenderer extends DocumentRenderer {
  readonly type = 'list';
  readonly dir = 'lists';
  readonly claimsParkedTtl = false;
  readonly observed = 'observed_items';

  constructor() {
    super('items');
  }

  protected render(out: KeyOutput, _seq: Buffer, value: Buffer): Promise<void> | undefined {
    return this.single(out, value);
  }
}

class SetRenderer extends DocumentRenderer {
  readonly type = 'set';
  readonly dir = 'sets';
  readonly claimsParkedTtl = true;
  readonly observed = 'observed_members';

  constructor() {
    super('members');
  }

  protected render(out: KeyOutput, member: Buffer): Promise<void> | undefined {
    return this.single(out, member);
  }
}

/** <score> as Go writes it: a float64 (String(x), but -0 is "-0"), or the strings "+inf" / "-inf". */
function scoreText(score: Buffer): string {
  const x = score.readDoubleBE(0);
  if (x === Infinity) return '"+inf"';
  if (x === -Infinity) return '"-inf"';
  return Object.is(x, -0) ? '-0' : String(x);
}

/**
 * Sorted sets: wide-column members (`!zs|mem|`) win over a legacy blob (`!redis|zset|`) of the same key; a key
 * with only a blob gets its members deduplicated (last wins) and sorted by bytes.
 */
class ZSetRenderer extends DocumentRenderer {
  readonly type = 'zset';
  readonly dir = 'zsets';
  readonly claimsParkedTtl = true;
  readonly observed = 'observed_members';
  #legacy: Array<{ member: Buffer; score: Buffer }> = [];
  #sawWide = false;

  constructor() {
    super('members');
  }

  protected render(out: KeyOutput, member: Buffer, score: Buffer): Promise<void> | undefined {
    return this.pair(out, ZSET_PAIR, member, scoreText(score));
  }

  override begin(): void {
    super.begin();
    this.#legacy = [];
    this.#sawWide = false;
  }

  override element(out: KeyOutput, sub: Buffer, value: Buffer): Promise<void> | undefined {
    if (!this.#sawWide) {
      this.#sawWide = true;
      this.#legacy = [];
    }
    return super.element(out, sub, value);
  }

  legacy(sub: Buffer, value: Buffer): void {
    this.#legacy.push({ member: Buffer.from(sub), score: Buffer.from(value) });
  }

  override async finish(out: KeyOutput): Promise<void> {
    if (!this.#sawWide) {
      const byMember = new Map<string, { member: Buffer; score: Buffer }>();
      for (const e of this.#legacy) byMember.set(e.member.toString('latin1'), e);
      for (const e of [...byMember.values()].sort((a, b) => Buffer.compare(a.member, b.member))) {
        await this.render(out, e.member, e.score);
      }
    }
    await super.finish(out);
  }
}

const ID_OPEN = Buffer.from('{"id":"');
const ID_DASH = Buffer.from('-');
const FIELDS_OPEN = Buffer.from('","fields":[');
const NAME_FIRST = Buffer.from('{"name":');
const NAME_NEXT = Buffer.from(',{"name":');
const VALUE = Buffer.from(',"value":');
const CLOSE_BRACE = Buffer.from('}');
const LINE_END = Buffer.from(']}\n');

/**
 * Streams: one JSON line per entry, then the `_meta` line. Entries are written only once the key's meta is
 * known; the meta record sorts first, so an entry arriving with metaSeen false means the stream has no meta row.
 */
class StreamRenderer implements CollectionRenderer {
  readonly type = 'stream';
  readonly dir = 'streams';
  readonly extension = '.jsonl';
  readonly header = '';
  readonly claimsParkedTtl = true;
  readonly observed = 'observed_entries';
  readonly #ctx: DecodeContext;
  /** Field offsets of the entry being written (reused). */
  readonly #spans: number[] = [];

  constructor(ctx: DecodeContext) {
    this.#ctx = ctx;
  }

  begin(): void {
    // Entries are not held.
  }

  element(out: KeyOutput, sub: Buffer, value: Buffer): Promise<void> | undefined {
    const s = out.state;
    if (!s.metaSeen) {
      s.count++;
      return undefined;
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
    const o = out.next();
    if (o instanceof Promise) {
      return o.then((g) => {
        if (g !== undefined) this.#write(g, sub, value);
      });
    }
    if (o !== undefined) this.#write(o, sub, value);
    return undefined;
  }

  /**
   * compact({id, fields: [{name, value}…]}) of one entry, written directly: its fields were checked to be UTF-8 when
   * the row was read, so each <bin> is a JSON string, which bin() writes as compact() does (HTML-escaped).
   */
  #write(o: Gather, id: Buffer, value: Buffer): void {
    o.raw(ID_OPEN);
    o.u64Decimal(id, 0);
    o.raw(ID_DASH);
    o.u64Decimal(id, 8);
    o.raw(FIELDS_OPEN);
    const body = value.subarray(5);
    const spans = this.#spans;
    if (streamFieldSpans(body, spans, false)) {
      for (let i = 0; i + 3 < spans.length; i += 4) {
        o.raw(i === 0 ? NAME_FIRST : NAME_NEXT);
        o.binAt(body, spans[i] as number, spans[i + 1] as number, 0);
        o.raw(VALUE);
        o.binAt(body, spans[i + 2] as number, spans[i + 3] as number, 0);
        o.raw(CLOSE_BRACE);
      }
    } else {
      const fields = readStreamEntry(body);
      for (let i = 0; i + 1 < fields.length; i += 2) {
        o.raw(i === 0 ? NAME_FIRST : NAME_NEXT);
        o.bin(fields[i] as Buffer, 0);
        o.raw(VALUE);
        o.bin(fields[i + 1] as Buffer, 0);
        o.raw(CLOSE_BRACE);
      }
    }
    o.raw(LINE_END);
  }

  async endElements(): Promise<void> {
    // Entries are written as they come.
  }

  skipsExpired(s: KeyState): boolean {
    return s.metaSeen;
  }

  async finish(out: KeyOutput): Promise<void> {
    const s = out.state;
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
      return;
    }
    const meta = { _meta: true, length: s.declared, last_ms: s.lastMs, last_seq: s.lastSeq, expire_at_ms: ttlOf(s) };
    (await out.open()).text(`${compact(meta)}\n`);
  }
}

/** A fresh renderer for one type's flush. */
export function newRenderer(type: CollectionType, ctx: DecodeContext): CollectionRenderer {
  switch (type) {
    case 'hash':
      return new HashRenderer();
    case 'list':
      return new ListRenderer();
    case 'set':
      return new SetRenderer();
    case 'zset':
      return new ZSetRenderer();
    case 'stream':
      return new StreamRenderer(ctx);
  }
}
