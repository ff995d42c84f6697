// Parsing of the Redis collection rows (spec redis.md §1.1, §2.3.4-2.3.8) into collector records.
//
// Hash, set, sorted-set and stream keys carry the user key as BE32 length ‖ bytes; list keys carry it bare
// (list items end in the 8-byte sortable sequence). Meta values are counts with an optional inline expiry.

import type { DataErrorCode } from '../../error-codes.ts';
import { DataError } from '../../errors.ts';
import { REC, metaRecord, type CollectionCollector } from './collections.ts';
import type { CollectionType } from './collections-render.ts';
import { RedisProtoError, STREAM_ENTRY_MAGIC, ZSET_BLOB_MAGIC, readStreamEntry, readZSetBlob, streamFieldSpans } from './proto.ts';
import {
  DELTA_SUFFIX_BYTES,
  HASH_DELTA_PREFIX,
  HASH_FIELD_PREFIX,
  HASH_META_PREFIX,
  LIST_DELTA_PREFIX,
  LIST_ITEM_PREFIX,
  LIST_META_PREFIX,
  SET_DELTA_PREFIX,
  SET_MEMBER_PREFIX,
  SET_META_PREFIX,
  STREAM_ENTRY_PREFIX,
  STREAM_META_PREFIX,
  ZSET_DELTA_PREFIX,
  ZSET_LEGACY_PREFIX,
  ZSET_MEMBER_PREFIX,
  ZSET_META_PREFIX,
  familyOf,
  listItemKeyEnd,
  parseLengthPrefixed,
} from './keys.ts';

const MAXI64 = (1n << 63n) - 1n;
const EMPTY = Buffer.alloc(0);
/** Field offsets of the stream entry being checked (reused). */
const SPANS: number[] = [];

const show = (key: Uint8Array): string => JSON.stringify(Buffer.from(key).toString('latin1'));

function bad(code: DataErrorCode, sentinel: string, why: string, key: Uint8Array): DataError {
  return new DataError(code, `${sentinel}: ${why}`, { key });
}

/** `malformed !hs| key` and the like: the sentinel of a key that does not parse. */
const malformed = (prefix: string): string => `malformed ${familyOf(prefix)} key`;

interface Family {
  readonly type: CollectionType;
  readonly meta: string;
  readonly element: string;
  readonly keySentinel: string;
  readonly metaSentinel: string;
}

const family = (type: CollectionType, meta: string, element: string): Family => ({
  type,
  meta,
  element,
  keySentinel: malformed(meta),
  metaSentinel: `invalid ${meta} value`,
});
const HASH = family('hash', HASH_META_PREFIX, HASH_FIELD_PREFIX);
const SET = family('set', SET_META_PREFIX, SET_MEMBER_PREFIX);
const ZSET = family('zset', ZSET_META_PREFIX, ZSET_MEMBER_PREFIX);

/** A count meta row (hash, set, sorted set): 8 bytes, or 16 with an inline expiry. */
async function countMeta(c: CollectionCollector, f: Family, key: Buffer, v: Buffer): Promise<Buffer> {
  const p = parseLengthPrefixed(key, f.meta);
  if (p === undefined) throw bad('REDIS_INVALID_KEY', f.keySentinel, `meta key: ${show(key)}`, key);
  if (v.length !== 8 && v.length !== 16) throw bad('REDIS_INVALID_META', f.metaSentinel, `length ${v.length} not in {8,16}`, key);
  const n = v.readBigUInt64BE(0);
  if (n > MAXI64) throw bad('REDIS_INVALID_META', f.metaSentinel, `declared len ${n} overflows int64`, key);
  await c.add(
    f.type,
    p.userKey,
    REC.meta,
    EMPTY,
    metaRecord(v.length === 16, n, v.length === 16 ? v.readBigUInt64BE(8) : 0n),
  );
  return p.userKey;
}

/** An element row's record; a promise only when the collector had to wait for memory. */
function member(c: CollectionCollector, f: Family, key: Buffer, v: Buffer, what: string): Promise<void> | undefined {
  const at = f.element.length + 4;
  const end = key.length < at ? -1 : at + key.readUInt32BE(at - 4);
  if (end < 0 || key.length < end) throw bad('REDIS_INVALID_KEY', f.keySentinel, `${what} key: ${show(key)}`, key);
  return c.addElement(f.type, key, at, end, v);
}

/**
 * A meta delta row (`!hs|meta|d|`, `!lst|meta|d|`, `!st|meta|d|`, `!zs|meta|d|` ‖ BE32(len K) ‖ K ‖ BE64(commit ts)
 * ‖ BE32(seq)): the collection exists on the live node while any such row does, whatever its value; the value's
 * length change (BE int64, after the head change for lists) is recorded so the declared length counts it.
 */
async function delta(
  c: CollectionCollector,
  type: CollectionType,
  prefix: string,
  key: Buffer,
  v: Buffer,
): Promise<Buffer> {
  const p = parseLengthPrefixed(key, prefix);
  if (p === undefined || p.tail.length !== DELTA_SUFFIX_BYTES)
    throw bad('REDIS_INVALID_KEY', malformed(prefix), `meta delta key: ${show(key)}`, key);
  const width = type === 'list' ? 16 : 8;
  if (v.length !== width)
    throw bad('REDIS_INVALID_META', `invalid ${prefix} value`, `length ${v.length} != ${width}`, key);
  await c.add(type, p.userKey, REC.delta, p.tail, v.subarray(width - 8));
  return p.userKey;
}

export const hashDelta = (c: CollectionCollector, key: Buffer, v: Buffer): Promise<Buffer> => delta(c, 'hash', HASH_DELTA_PREFIX, key, v);
export const listDelta = (c: CollectionCollector, key: Buffer, v: Buffer): Promise<Buffer> => delta(c, 'list', LIST_DELTA_PREFIX, key, v);
export const setDelta = (c: CollectionCollector, key: Buffer, v: Buffer): Promise<Buffer> => delta(c, 'set', SET_DELTA_PREFIX, key, v);
export const zsetDelta = (c: CollectionCollector, key: Buffer, v: Buffer): Promise<Buffer> => delta(c, 'zset', ZSET_DELTA_PREFIX, key, v);

export const hashMeta = (c: CollectionCollector, key: Buffer, v: Buffer): Promise<Buffer> => countMeta(c, HASH, key, v);
export async function hashField(c: CollectionCollector, key: Buffer, v: Buffer): Promise<Buffer> {
  await member(c, HASH, key, v, 'field');
  const at = HASH_FIELD_PREFIX.length + 4;
  return key.subarray(at, at + key.readUInt32BE(at - 4));
}
export const setMeta = (c: CollectionCollector, key: Buffer, v: Buffer): Promise<Buffer> => countMeta(c, SET, key, v);
export const setMember = (c: CollectionCollector, key: Buffer): Promise<void> | undefined => member(c, SET, key, EMPTY, 'member');
export const zsetMeta = (c: CollectionCollector, key: Buffer, v: Buffer): Promise<Buffer> => countMeta(c, ZSET, key, v);

/** A sorted-set member row's record; a promise only when the collector had to wait for memory. */
export function zsetMember(c: CollectionCollector, key: Buffer, v: Buffer): Promise<void> | undefined {
  const at = ZSET_MEMBER_PREFIX.length + 4;
  const end = key.length < at ? -1 : at + key.readUInt32BE(at - 4);
  if (end < 0 || key.length < end) throw bad('REDIS_INVALID_KEY', ZSET.keySentinel, `member key: ${show(key)}`, key);
  if (v.length !== 8) throw bad('REDIS_INVALID_ZSET_MEMBER', `invalid ${ZSET_MEMBER_PREFIX} value`, `length ${v.length} != 8`, key);
  if (Number.isNaN(v.readDoubleBE(0))) {
    const userKey = key.subarray(at, end);
    throw bad('REDIS_INVALID_ZSET_MEMBER', `invalid ${ZSET_MEMBER_PREFIX} value`, `NaN score for member of user key ${show(userKey)} (length ${userKey.length})`, key);
  }
  return c.addElement('zset', key, at, end, v);
}

export async function zsetLegacyBlob(c: CollectionCollector, key: Buffer, v: Buffer): Promise<void> {
  const userKey = key.subarray(ZSET_LEGACY_PREFIX.length);
  const sentinel = `invalid ${ZSET_LEGACY_PREFIX} value`;
  if (v.length < 4 || !v.subarray(0, 4).equals(ZSET_BLOB_MAGIC)) throw bad('REDIS_INVALID_ZSET_BLOB', sentinel, `missing or corrupt magic prefix (len=${v.length})`, key);
  let entries;
  try {
    entries = readZSetBlob(v.subarray(4));
  } catch (err) {
    if (err instanceof RedisProtoError) throw bad('REDIS_INVALID_ZSET_BLOB', sentinel, `unmarshal: ${err.message}`, key);
    throw err;
  }
  for (const e of entries) if (Number.isNaN(e.score)) throw bad('REDIS_INVALID_ZSET_BLOB', sentinel, `NaN score for member ${show(e.member)}`, key);
  await c.add('zset', userKey, REC.present, EMPTY, EMPTY);
  for (const e of entries) {
    const score = Buffer.alloc(8);
    score.writeDoubleBE(e.score);
    await c.add('zset', userKey, REC.legacy, e.member, score);
  }
}

export async function listMeta(c: CollectionCollector, key: Buffer, v: Buffer): Promise<Buffer> {
  const userKey = key.subarray(LIST_META_PREFIX.length);
  const sentinel = `invalid ${LIST_META_PREFIX} value`;
  if (v.length !== 24 && v.length !== 32) throw bad('REDIS_INVALID_META', sentinel, `length ${v.length} not in {24,32}`, key);
  const n = v.readBigUInt64BE(16);
  if (n > MAXI64) throw bad('REDIS_INVALID_META', sentinel, `declared len ${n} overflows int64`, key);
  await c.add('list', userKey, REC.meta, EMPTY, metaRecord(v.length === 32, n, v.length === 32 ? v.readBigUInt64BE(24) : 0n));
  return userKey;
}

/**
 * A list item row's record; a promise only when the collector had to wait for memory. The user key is
 * key[LIST_ITEM_PREFIX.length, listItemKeyEnd(key)).
 */
export function listItem(c: CollectionCollector, key: Buffer, v: Buffer): Promise<void> | undefined {
  const end = listItemKeyEnd(key);
  if (end < 0) throw bad('REDIS_INVALID_KEY', malformed(LIST_META_PREFIX), `item key: ${show(key)}`, key);
  return c.addElement('list', key, LIST_ITEM_PREFIX.length, end, v);
}

export async function streamMeta(c: CollectionCollector, key: Buffer, v: Buffer): Promise<void> {
  const p = parseLengthPrefixed(key, STREAM_META_PREFIX);
  if (p === undefined) throw bad('REDIS_INVALID_KEY', malformed(STREAM_META_PREFIX), `meta key: ${show(key)}`, key);
  const sentinel = `invalid ${STREAM_META_PREFIX} value`;
  if (v.length !== 24 && v.length !== 32 && v.length !== 48) throw bad('REDIS_INVALID_META', sentinel, `length ${v.length} not in {24,32,48}`, key);
  const n = v.readBigUInt64BE(0);
  if (n > MAXI64) throw bad('REDIS_INVALID_META', sentinel, `declared length ${n} overflows int64`, key);
  await c.add('stream', p.userKey, REC.meta, EMPTY, metaRecord(v.length >= 32, n, v.length >= 32 ? v.readBigUInt64BE(24) : 0n, v.readBigUInt64BE(8), v.readBigUInt64BE(16)));
}

/** A stream entry row's record; a promise only when the collector had to wait for memory. */
export function streamEntry(c: CollectionCollector, key: Buffer, v: Buffer): Promise<void> | undefined {
  const at = STREAM_ENTRY_PREFIX.length + 4;
  const end = key.length < at ? -1 : at + key.readUInt32BE(at - 4);
  if (end < 0 || key.length !== end + 16) throw bad('REDIS_INVALID_KEY', malformed(STREAM_ENTRY_PREFIX), `entry key: ${show(key)}`, key);
  const sentinel = `invalid ${STREAM_ENTRY_PREFIX} value`;
  if (v.length < 5 || !v.subarray(0, 5).equals(STREAM_ENTRY_MAGIC)) throw bad('REDIS_INVALID_STREAM_ENTRY', sentinel, `missing or corrupt magic prefix (len=${v.length})`, key);
  const body = v.subarray(5);
  let count: number;
  if (streamFieldSpans(body, SPANS, true)) count = SPANS.length / 2;
  else {
    try {
      count = readStreamEntry(body).length;
    } catch (err) {
      if (err instanceof RedisProtoError) throw bad('REDIS_INVALID_STREAM_ENTRY', sentinel, `unmarshal: ${err.message}`, key);
      throw err;
    }
  }
  if (count % 2 !== 0) throw bad('REDIS_INVALID_STREAM_ENTRY', sentinel, `odd field count ${count} (XADD enforces name/value pairs)`, key);
  return c.addElement('stream', key, at, end, v);
}
