// Encoding Redis collection documents back into rows (spec redis.md §3.6, §3.7; elastickv:
// internal/backup/encode_redis_coll.go).
//
// hashes/<K>.json, sets/<K>.json, lists/<K>.json, zsets/<K>.json: one document each, giving the count meta row
// (with the inline expiry when there is one), one row per element, the zset score index, and the `!redis|ttl|`
// scan-index row. streams/<K>.jsonl: entry lines and one `_meta` line, giving entry rows (protobuf envelopes),
// the stream meta row and the TTL row. Duplicate fields or members are refused with the file named.

import { DataError } from '../../errors.ts';
import { JsonObject, JsonSyntaxError, JsonTypeError, parseJsonBytes, readArray, readBool, readInt, readString, readUint, type JsonValue } from '../../json/go-json-read.ts';
import { isValidUtf8 } from '../../json/go-json.ts';
import { jsonValues } from '../../tree/json-stream.ts';
import type { TreeReader } from '../../tree/reader.ts';
import type { EncodeContext } from '../adapter.ts';
import { readBin, readScore } from './binary-json.ts';
import { writeStreamEntry } from './proto.ts';
import { scanStreamEntry } from './stream-line.ts';
import { encodeTtlValue } from './inline-value.ts';
import {
  HASH_FIELD_PREFIX,
  HASH_META_PREFIX,
  LIST_ITEM_PREFIX,
  LIST_META_PREFIX,
  SET_MEMBER_PREFIX,
  SET_META_PREFIX,
  STREAM_ENTRY_PREFIX,
  STREAM_META_PREFIX,
  TTL_PREFIX,
  ZSET_MEMBER_PREFIX,
  ZSET_META_PREFIX,
  ZSET_SCORE_PREFIX,
  bareKey,
  lengthPrefixedKey as lp,
} from './keys.ts';
import { f64be, i64be, sortableI64be } from '../../bytes/big-endian.ts';

const MAX_U64 = (1n << 64n) - 1n;

const EMPTY = Buffer.alloc(0);

/** The score index's order-preserving form of a float64 (store/zset_helpers.go EncodeSortableFloat64). */
export function sortableFloat64(x: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x === 0 ? 0 : x);
  // Positive: flip the sign bit; negative: flip every bit (done on the two 32-bit halves).
  const hi = b.readUInt32BE(0);
  if ((hi & 0x80000000) === 0) {
    b.writeUInt32BE((hi | 0x80000000) >>> 0, 0);
  } else {
    b.writeUInt32BE(~hi >>> 0, 0);
    b.writeUInt32BE(~b.readUInt32BE(4) >>> 0, 4);
  }
  return b;
}

export type DocType = 'hash' | 'set' | 'list' | 'zset';

const invalid = (path: string, why: string, line?: number): DataError =>
  new DataError('REDIS_ENCODE_INVALID_JSON', `redis encode invalid collection JSON: ${why}`, line === undefined ? { path } : { path, line });

/** `expire_at_ms`: absent, null or 0 mean no TTL. */
function readExpiry(o: JsonObject): bigint {
  return readUint(o.field('expire_at_ms'), 'expire_at_ms');
}

function countMeta(n: number, ms: bigint): Buffer {
  return ms === 0n ? i64be(BigInt(n)) : Buffer.concat([i64be(BigInt(n)), i64be(ms)]);
}

function rejectDuplicates(names: readonly Buffer[], path: string, what: string, show: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    const id = n.toString('latin1');
    if (seen.has(id)) throw invalid(path, `${show}: duplicate ${what} ${JSON.stringify(n.toString('utf8'))}`);
    seen.add(id);
  }
}

/** A collection document read from the tree, elements in file order, duplicates refused. */
export type RedisDocument =
  | { readonly type: 'hash'; readonly expireAtMs: bigint; readonly fields: ReadonlyArray<readonly [Buffer, Buffer]> }
  | { readonly type: 'set'; readonly expireAtMs: bigint; readonly members: readonly Buffer[] }
  | { readonly type: 'list'; readonly expireAtMs: bigint; readonly items: readonly Buffer[] }
  | { readonly type: 'zset'; readonly expireAtMs: bigint; readonly members: ReadonlyArray<readonly [Buffer, number]> };

/** Reads and checks one hash, set, list or zset document (`expireAtMs` 0: no TTL) at a path collectionFiles listed. */
export async function readDocument(
  tree: TreeReader,
  type: DocType,
  k: Uint8Array,
  path: string,
): Promise<RedisDocument> {
  return parseDocument(type, k, path, await tree.readFile(path, undefined, { listed: true }));
}

/** Checks one hash, set, list or zset document, the bytes of the file at `path`. */
function parseDocument(type: DocType, k: Uint8Array, path: string, bytes: Buffer): RedisDocument {
  const show = `${type} ${JSON.stringify(Buffer.from(k).toString('utf8'))}`;
  let doc: JsonValue;
  try {
    doc = parseJsonBytes(bytes);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw invalid(path, `${show}: ${err.message}`);
    throw err;
  }
  try {
    if (!(doc instanceof JsonObject)) throw new JsonTypeError('cannot unmarshal a non-object document');
    const version = readUint(doc.field('format_version'), 'format_version', 32);
    if (version !== 1n) throw new JsonTypeError(`unsupported format_version ${version}`);
    const expireAtMs = readExpiry(doc);
    const arrayName = type === 'hash' ? 'fields' : type === 'list' ? 'items' : 'members';
    const elements = readArray(doc.field(arrayName), arrayName) ?? [];
    switch (type) {
      case 'hash': {
        const fields = elements.map((e, i) => {
          const o = e === null ? new JsonObject([]) : e;
          if (!(o instanceof JsonObject)) throw new JsonTypeError(`fields[${i}]: cannot unmarshal into a field record`);
          return [
            readBin(o.field('name'), `${show} field name`),
            readBin(o.field('value'), `${show} field value`),
          ] as const;
        });
        rejectDuplicates(
          fields.map(([n]) => n),
          path,
          'field',
          show,
        );
        return { type, expireAtMs, fields };
      }
      case 'set': {
        const members = elements.map((e) => readBin(e, `${show} member`));
        rejectDuplicates(members, path, 'member', show);
        return { type, expireAtMs, members };
      }
      case 'list':
        return { type, expireAtMs, items: elements.map((e, i) => readBin(e, `${show} item ${i}`)) };
      case 'zset': {
        const members = elements.map((e, i) => {
          const o = e === null ? new JsonObject([]) : e;
          if (!(o instanceof JsonObject))
            throw new JsonTypeError(`members[${i}]: cannot unmarshal into a member record`);
          return [readBin(o.field('member'), `${show} member`), readScore(o.field('score'), `${show} score`)] as const;
        });
        rejectDuplicates(
          members.map(([m]) => m),
          path,
          'member',
          show,
        );
        return { type, expireAtMs, members };
      }
    }
  } catch (err) {
    if (err instanceof JsonTypeError) throw invalid(path, `${show}: ${err.message}`);
    throw err;
  }
}

/** One hash, set, list or zset document (the bytes of the file at `path`) into rows. */
export async function encodeDocument(
  ctx: EncodeContext,
  type: DocType,
  k: Uint8Array,
  path: string,
  bytes: Buffer,
): Promise<void> {
  const doc = parseDocument(type, k, path, bytes);
  const ms = doc.expireAtMs;
  switch (doc.type) {
    case 'hash': {
      await ctx.emit(lp(HASH_META_PREFIX, k), countMeta(doc.fields.length, ms));
      const fld = lp(HASH_FIELD_PREFIX, k);
      for (const [name, value] of doc.fields) await ctx.emit(Buffer.concat([fld, name]), value);
      break;
    }
    case 'set': {
      await ctx.emit(lp(SET_META_PREFIX, k), countMeta(doc.members.length, ms));
      const mem = lp(SET_MEMBER_PREFIX, k);
      for (const m of doc.members) await ctx.emit(Buffer.concat([mem, m]), EMPTY);
      break;
    }
    case 'list': {
      const n = BigInt(doc.items.length);
      const meta = [i64be(0n), i64be(n), i64be(n)];
      if (ms !== 0n) meta.push(i64be(ms));
      await ctx.emit(bareKey(LIST_META_PREFIX, k), Buffer.concat(meta));
      for (let i = 0; i < doc.items.length; i++)
        await ctx.emit(bareKey(LIST_ITEM_PREFIX, k, sortableI64be(BigInt(i))), doc.items[i] as Buffer);
      break;
    }
    case 'zset': {
      await ctx.emit(lp(ZSET_META_PREFIX, k), countMeta(doc.members.length, ms));
      const mem = lp(ZSET_MEMBER_PREFIX, k);
      const scr = lp(ZSET_SCORE_PREFIX, k);
      for (const [m, score] of doc.members) {
        await ctx.emit(Buffer.concat([mem, m]), f64be(score));
        await ctx.emit(Buffer.concat([scr, sortableFloat64(score), m]), EMPTY);
      }
      break;
    }
  }
  if (ms !== 0n) await ctx.emit(bareKey(TTL_PREFIX, k), encodeTtlValue(ms));
}

function parseStreamIdPart(s: string, id: string, half: string): bigint {
  if (!/^[0-9]+$/.test(s) || BigInt(s) > MAX_U64) throw new JsonTypeError(`stream id ${JSON.stringify(id)} ${half}: invalid syntax`);
  return BigInt(s);
}

/** A stream line: an entry (fields as name, value, name, value, …) or, last, the checked `_meta` line. */
export type StreamLine =
  | { readonly kind: 'entry'; readonly id: string; readonly ms: bigint; readonly seq: bigint; readonly fields: readonly Buffer[] }
  | { readonly kind: 'meta'; readonly length: bigint; readonly lastMs: bigint; readonly lastSeq: bigint; readonly expireAtMs: bigint };

/** One parsed value of a stream file, by Go's rules: its `_meta` line or an entry. */
export function parseStreamValue(value: JsonValue): StreamLine {
  const o = value === null ? new JsonObject([]) : value;
  if (!(o instanceof JsonObject)) throw new JsonTypeError('cannot unmarshal a non-object line');
  if (readBool(o.field('_meta'), '_meta')) {
    return {
      kind: 'meta',
      length: readInt(o.field('length'), 'length'),
      lastMs: readUint(o.field('last_ms'), 'last_ms'),
      lastSeq: readUint(o.field('last_seq'), 'last_seq'),
      expireAtMs: readUint(o.field('expire_at_ms'), 'expire_at_ms'),
    };
  }
  const id = readString(o.field('id'), 'id');
  const dash = id.indexOf('-');
  if (dash < 0) throw new JsonTypeError(`stream id ${JSON.stringify(id)} missing '-'`);
  const ms = parseStreamIdPart(id.slice(0, dash), id, 'ms');
  const seq = parseStreamIdPart(id.slice(dash + 1), id, 'seq');
  const fields: Buffer[] = [];
  for (const f of readArray(o.field('fields'), 'fields') ?? []) {
    const fo = f === null ? new JsonObject([]) : f;
    if (!(fo instanceof JsonObject)) throw new JsonTypeError('fields: cannot unmarshal into a field record');
    fields.push(readBin(fo.field('name'), `entry ${id} field name`), readBin(fo.field('value'), `entry ${id} field value`));
  }
  for (const f of fields) {
    if (!isValidUtf8(f)) throw new JsonTypeError(`entry ${id}: proto: field RedisStreamEntry.fields contains invalid UTF-8`);
  }
  return { kind: 'entry', id, ms, seq, fields };
}

/**
 * Streams one stream file: its entries in file order, then its `_meta` line once it agrees with them. Entry lines in
 * the decoder's shape are read in one pass (stream-line.ts); any other line is parsed by parseStreamValue.
 */
export async function* readStream(tree: TreeReader, k: Uint8Array, path: string): AsyncGenerator<StreamLine> {
  const show = `stream ${JSON.stringify(Buffer.from(k).toString('utf8'))}`;
  let meta: Extract<StreamLine, { kind: 'meta' }> | undefined;
  let entries = 0n;
  let maxMs = -1n;
  let maxSeq = -1n;
  const what = `redis encode invalid collection JSON: ${show}`;
  for await (const v of jsonValues(tree, path, 'REDIS_ENCODE_INVALID_JSON', what, scanStreamEntry)) {
    let entry: Extract<StreamLine, { kind: 'entry' }>;
    if (v.scanned !== undefined) entry = v.scanned;
    else {
      let parsed: StreamLine;
      try {
        parsed = parseStreamValue(v.value);
        if (parsed.kind === 'meta' && meta !== undefined) throw new JsonTypeError('multiple _meta lines');
      } catch (err) {
        if (err instanceof JsonTypeError) throw invalid(path, `${show}: ${err.message}`, v.line);
        throw err;
      }
      if (parsed.kind === 'meta') {
        meta = parsed;
        continue;
      }
      entry = parsed;
    }
    entries++;
    if (entry.ms > maxMs || (entry.ms === maxMs && entry.seq > maxSeq)) {
      maxMs = entry.ms;
      maxSeq = entry.seq;
    }
    yield entry;
  }
  if (meta === undefined) throw invalid(path, `${show}: missing _meta line`);
  if (meta.length < 0n) throw invalid(path, `${show}: negative _meta length ${meta.length}`);
  if (meta.length !== entries) throw invalid(path, `${show}: _meta length ${meta.length} disagrees with ${entries} parsed entries`);
  if (maxMs > meta.lastMs || (maxMs === meta.lastMs && maxSeq > meta.lastSeq)) {
    throw invalid(path, `${show}: _meta last ${meta.lastMs}-${meta.lastSeq} is behind max entry ${maxMs}-${maxSeq}`);
  }
  yield meta;
}

/** One stream file into rows. */
export async function encodeStream(ctx: EncodeContext, k: Uint8Array, path: string): Promise<void> {
  const prefix = lp(STREAM_ENTRY_PREFIX, k);
  for await (const line of readStream(ctx.tree, k, path)) {
    if (line.kind === 'entry') {
      // The entry's key: the prefix, then its id as two BE64 halves (ids are at most 2^64-1 each).
      const key = Buffer.allocUnsafe(prefix.length + 16);
      prefix.copy(key, 0);
      key.writeBigUInt64BE(line.ms, prefix.length);
      key.writeBigUInt64BE(line.seq, prefix.length + 8);
      await ctx.emit(key, writeStreamEntry(line.id, line.fields));
      continue;
    }
    const value = [i64be(line.length), i64be(line.lastMs), i64be(line.lastSeq)];
    if (line.expireAtMs !== 0n) value.push(i64be(line.expireAtMs));
    await ctx.emit(lp(STREAM_META_PREFIX, k), Buffer.concat(value));
    if (line.expireAtMs !== 0n)
      await ctx.emit(bareKey(TTL_PREFIX, k), encodeTtlValue(line.expireAtMs));
  }
}
