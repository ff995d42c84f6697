// The Redis adapter: key layouts in keys.ts, values in inline-value.ts, decode.ts and encode.ts.

import type { Adapter } from '../adapter.ts';
import { REDIS_FILTER } from './filter.ts';
import { RedisDecoder } from './decode.ts';
import { encodeRedis } from './encode.ts';
import { REDIS_ROUTES } from './keys.ts';

/** The Redis adapter: strings, HyperLogLogs, hashes, lists, sets, sorted sets and streams, with TTLs. */
export const redisAdapter: Adapter = {
  name: 'redis',
  routes: REDIS_ROUTES,
  filter: REDIS_FILTER,
  createDecoder: (ctx) => new RedisDecoder(ctx),
  // The reference has no Redis producer-mode guard: every Redis dump is encodable.
  checkEncodable: () => undefined,
  encode: encodeRedis,
};
