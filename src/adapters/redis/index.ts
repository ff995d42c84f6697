// The Redis adapter: key layouts in keys.ts, values in inline-value.ts, decode.ts and encode.ts.

import type { Adapter } from '../adapter.ts';
import { predictRedisTree } from './predict.ts';
import { REDIS_FILTER } from './filter.ts';
import { RedisDecoder } from './decode.ts';
import { encodeRedis } from './encode.ts';
import { REDIS_INTERNAL_PREFIXES, REDIS_ROUTES, type RedisKind } from './keys.ts';

/** The Redis adapter: strings, HyperLogLogs, hashes, lists, sets, sorted sets and streams, with TTLs. */
export const redisAdapter: Adapter<'redis', RedisKind> = {
  name: 'redis',
  routes: REDIS_ROUTES,
  internalPrefixes: REDIS_INTERNAL_PREFIXES,
  filter: REDIS_FILTER,
  // TTL lines of legacy-format strings and HLLs are written after the inline ones, when their !redis|ttl| rows
  // arrive; re-encoded, every TTL is inline and the lines come back in key order.
  unorderedRecordFiles: ['strings_ttl.jsonl', 'hll_ttl.jsonl'],
  createDecoder: (ctx) => new RedisDecoder(ctx),
  predictTree: predictRedisTree,
  // The reference has no Redis producer-mode guard: every Redis dump is encodable.
  checkEncodable: () => undefined,
  encode: encodeRedis,
};
