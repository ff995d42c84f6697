// Redis key prefixes in the snapshot (spec redis.md §1.1; elastickv: internal/backup/redis_*.go prefix constants,
// internal/backup/decode.go (buildPrefixRoutes)).

import type { RouteSpec } from '../adapter.ts';

export const STRING_PREFIX = '!redis|str|';
export const HLL_PREFIX = '!redis|hll|';
export const TTL_PREFIX = '!redis|ttl|';

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
export const REDIS_ROUTES: readonly RouteSpec[] = [
  { prefix: STRING_PREFIX, kind: KIND.string },
  { prefix: HLL_PREFIX, kind: KIND.hll },
  { prefix: TTL_PREFIX, kind: KIND.ttl },
  { prefix: '!hs|meta|d|', kind: KIND.hashDelta },
  { prefix: '!lst|meta|d|', kind: KIND.listDelta },
  { prefix: '!st|meta|d|', kind: KIND.setDelta },
  { prefix: '!zs|meta|d|', kind: KIND.zsetDelta },
  { prefix: '!lst|claim|', kind: KIND.ignored },
  { prefix: '!zs|scr|', kind: KIND.ignored },
  { prefix: '!redis|zset|', kind: KIND.zsetLegacy },
  { prefix: '!hs|meta|', kind: KIND.hashMeta },
  { prefix: '!hs|fld|', kind: KIND.hashField },
  { prefix: '!lst|meta|', kind: KIND.listMeta },
  { prefix: '!lst|itm|', kind: KIND.listItem },
  { prefix: '!st|meta|', kind: KIND.setMeta },
  { prefix: '!st|mem|', kind: KIND.setMember },
  { prefix: '!zs|meta|', kind: KIND.zsetMeta },
  { prefix: '!zs|mem|', kind: KIND.zsetMember },
  { prefix: '!stream|meta|', kind: KIND.streamMeta },
  { prefix: '!stream|entry|', kind: KIND.streamEntry },
];
