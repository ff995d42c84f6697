// Redis key layouts in the snapshot (spec redis.md §1.1; elastickv: internal/backup/redis_*.go prefix constants,
// internal/backup/decode.go (buildPrefixRoutes)). Keys are built and parsed here only.
//
//   !redis|str|K  !redis|hll|K  !redis|ttl|K  !redis|zset|K           bare user key
//   !hs|meta|L K  !hs|fld|L K F  !st|meta|L K  !st|mem|L K M          L = BE32(len K)
//   !zs|meta|L K  !zs|mem|L K M  !zs|scr|L K S M                      S = sortable float64 score
//   !stream|meta|L K  !stream|entry|L K BE64(ms) BE64(seq)
//   !lst|meta|K  !lst|itm|K SEQ                                       SEQ = sortable int64, 8 bytes
//   !hs|meta|d|L K TS SEQ (and !lst|, !st|, !zs|)                     meta deltas: BE64 commit ts, BE32 seq

import type { RouteSpec } from '../adapter.ts';
import { u32be } from '../../bytes/big-endian.ts';

export const STRING_PREFIX = '!redis|str|';
export const HLL_PREFIX = '!redis|hll|';
export const TTL_PREFIX = '!redis|ttl|';
export const ZSET_LEGACY_PREFIX = '!redis|zset|';
export const HASH_META_PREFIX = '!hs|meta|';
export const HASH_FIELD_PREFIX = '!hs|fld|';
export const HASH_DELTA_PREFIX = '!hs|meta|d|';
export const LIST_META_PREFIX = '!lst|meta|';
export const LIST_ITEM_PREFIX = '!lst|itm|';
export const LIST_DELTA_PREFIX = '!lst|meta|d|';
const LIST_CLAIM_PREFIX = '!lst|claim|';
export const SET_META_PREFIX = '!st|meta|';
export const SET_MEMBER_PREFIX = '!st|mem|';
export const SET_DELTA_PREFIX = '!st|meta|d|';
export const ZSET_META_PREFIX = '!zs|meta|';
export const ZSET_MEMBER_PREFIX = '!zs|mem|';
export const ZSET_SCORE_PREFIX = '!zs|scr|';
export const ZSET_DELTA_PREFIX = '!zs|meta|d|';
export const STREAM_META_PREFIX = '!stream|meta|';
export const STREAM_ENTRY_PREFIX = '!stream|entry|';

/** Bytes of a list item key's sequence number, after the user key. */
const LIST_SEQ_BYTES = 8;
/** Bytes of the commit timestamp and sequence number that end every meta delta key. */
export const DELTA_SUFFIX_BYTES = 12;

/** `prefix ‖ K` (strings, HLLs, TTL rows, list meta, legacy sorted sets). */
export const bareKey = (prefix: string, k: Uint8Array, ...tail: Uint8Array[]): Buffer =>
  Buffer.concat([Buffer.from(prefix), k, ...tail]);

/** `prefix ‖ BE32(len K) ‖ K ‖ tail…` (hash, set, sorted-set and stream rows). */
export const lengthPrefixedKey = (prefix: string, k: Uint8Array, ...tail: Uint8Array[]): Buffer =>
  Buffer.concat([Buffer.from(prefix), u32be(k.length), k, ...tail]);

/** The user key and what follows it in `<prefix> BE32(len K) K <tail>`, or undefined when the key is cut short. */
export function parseLengthPrefixed(key: Buffer, prefix: string): { userKey: Buffer; tail: Buffer } | undefined {
  const at = prefix.length;
  if (key.length < at + 4) return undefined;
  const len = key.readUInt32BE(at);
  if (key.length < at + 4 + len) return undefined;
  return { userKey: key.subarray(at + 4, at + 4 + len), tail: key.subarray(at + 4 + len) };
}

/** Where the user key of a `!lst|itm|K SEQ` key ends (its sequence starts); -1 when shorter than a sequence. */
export function listItemKeyEnd(key: Uint8Array): number {
  return key.length - LIST_ITEM_PREFIX.length < LIST_SEQ_BYTES ? -1 : key.length - LIST_SEQ_BYTES;
}

/** The user key and sequence bytes of a `!lst|itm|K SEQ` key, or undefined when it is shorter than a sequence. */
export function parseListItem(key: Buffer): { userKey: Buffer; seq: Buffer } | undefined {
  const cut = listItemKeyEnd(key);
  if (cut < 0) return undefined;
  return { userKey: key.subarray(LIST_ITEM_PREFIX.length, cut), seq: key.subarray(cut) };
}

/** The family part of a prefix (`!hs|` of `!hs|meta|d|`), as error messages name it. */
export const familyOf = (prefix: string): string => prefix.slice(0, prefix.indexOf('|', 1) + 1);

/** Handler kinds of the Redis routes. */
export const KIND = {
  string: 'string',
  hll: 'hll',
  ttl: 'ttl',
  /** Derived or transactional rows the reference decoder reads past without output. */
  ignored: 'ignored',
  /** Meta delta rows (`!hs|meta|d|` …): a collection's length changes not yet folded into its meta row. */
  hashDelta: 'hash-delta',
  listDelta: 'list-delta',
  setDelta: 'set-delta',
  zsetDelta: 'zset-delta',
  hashMeta: 'hash-meta',
  hashField: 'hash-field',
  listMeta: 'list-meta',
  listItem: 'list-item',
  setMeta: 'set-meta',
  setMember: 'set-member',
  zsetMeta: 'zset-meta',
  zsetMember: 'zset-member',
  zsetLegacy: 'zset-legacy',
  streamMeta: 'stream-meta',
  streamEntry: 'stream-entry',
} as const;

/** The name of a Redis route's handler. */
export type RedisKind = (typeof KIND)[keyof typeof KIND];

/**
 * Redis rows of a live node that hold no user data: transaction fences of the wide-column types
 * (adapter/redis_txn.go) and routing keys. Counted as internal; any other row in a Redis key family that no
 * route matches is refused by decode as damage.
 */
export const REDIS_INTERNAL_PREFIXES: readonly RouteSpec[] = [
  { prefix: '!redis|txn-wide-hash|', kind: 'redis-txn-fence' },
  { prefix: '!redis|txn-wide-set|', kind: 'redis-txn-fence' },
  { prefix: '!redis|txn-wide-list|', kind: 'redis-txn-fence' },
  { prefix: '!redis|txn-wide-zset|', kind: 'redis-txn-fence' },
  { prefix: '!redis|route|', kind: 'redis-route' },
];

/** Every Redis prefix of core.md §2.3, with the handler each one goes to. */
export const REDIS_ROUTES: readonly RouteSpec<RedisKind>[] = [
  { prefix: STRING_PREFIX, kind: KIND.string },
  { prefix: HLL_PREFIX, kind: KIND.hll },
  { prefix: TTL_PREFIX, kind: KIND.ttl },
  { prefix: HASH_DELTA_PREFIX, kind: KIND.hashDelta },
  { prefix: LIST_DELTA_PREFIX, kind: KIND.listDelta },
  { prefix: SET_DELTA_PREFIX, kind: KIND.setDelta },
  { prefix: ZSET_DELTA_PREFIX, kind: KIND.zsetDelta },
  { prefix: LIST_CLAIM_PREFIX, kind: KIND.ignored },
  { prefix: ZSET_SCORE_PREFIX, kind: KIND.ignored },
  { prefix: ZSET_LEGACY_PREFIX, kind: KIND.zsetLegacy },
  { prefix: HASH_META_PREFIX, kind: KIND.hashMeta },
  { prefix: HASH_FIELD_PREFIX, kind: KIND.hashField },
  { prefix: LIST_META_PREFIX, kind: KIND.listMeta },
  { prefix: LIST_ITEM_PREFIX, kind: KIND.listItem },
  { prefix: SET_META_PREFIX, kind: KIND.setMeta },
  { prefix: SET_MEMBER_PREFIX, kind: KIND.setMember },
  { prefix: ZSET_META_PREFIX, kind: KIND.zsetMeta },
  { prefix: ZSET_MEMBER_PREFIX, kind: KIND.zsetMember },
  { prefix: STREAM_META_PREFIX, kind: KIND.streamMeta },
  { prefix: STREAM_ENTRY_PREFIX, kind: KIND.streamEntry },
];
