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
  /** Collection and stream rows: hashes, lists, sets, sorted sets, streams. */
  collection: 'collection',
} as const;

/** Every Redis prefix of core.md §2.3, with the handler each one goes to. */
export const REDIS_ROUTES: readonly RouteSpec[] = [
  { prefix: STRING_PREFIX, kind: KIND.string },
  { prefix: HLL_PREFIX, kind: KIND.hll },
  { prefix: TTL_PREFIX, kind: KIND.ttl },
  { prefix: '!hs|meta|d|', kind: KIND.ignored },
  { prefix: '!lst|meta|d|', kind: KIND.ignored },
  { prefix: '!st|meta|d|', kind: KIND.ignored },
  { prefix: '!zs|meta|d|', kind: KIND.ignored },
  { prefix: '!lst|claim|', kind: KIND.ignored },
  { prefix: '!zs|scr|', kind: KIND.ignored },
  { prefix: '!redis|zset|', kind: KIND.collection },
  { prefix: '!hs|meta|', kind: KIND.collection },
  { prefix: '!hs|fld|', kind: KIND.collection },
  { prefix: '!lst|meta|', kind: KIND.collection },
  { prefix: '!lst|itm|', kind: KIND.collection },
  { prefix: '!st|meta|', kind: KIND.collection },
  { prefix: '!st|mem|', kind: KIND.collection },
  { prefix: '!zs|meta|', kind: KIND.collection },
  { prefix: '!zs|mem|', kind: KIND.collection },
  { prefix: '!stream|meta|', kind: KIND.collection },
  { prefix: '!stream|entry|', kind: KIND.collection },
];
