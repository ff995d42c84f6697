// What record filters see of a Redis row: the database the decoder writes to, the key's type and the user key
// (spec redis.md §1.1: hash, set, sorted-set and stream rows carry the key as BE32 length ‖ bytes, list rows
// bare before an 8-byte sequence, strings, HLLs and TTL rows bare after the prefix).

import type { FilterVocabulary, RowScope } from '../adapter.ts';
import {
  HLL_PREFIX,
  KIND,
  LIST_META_PREFIX,
  REDIS_ROUTES,
  STRING_PREFIX,
  TTL_PREFIX,
  ZSET_LEGACY_PREFIX,
  parseLengthPrefixed,
  parseListItem,
  type RedisKind,
} from './keys.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

const REDIS_TYPES = ['string', 'hll', 'hash', 'list', 'set', 'zset', 'stream'] as const;

const PREFIX_OF_KIND = new Map(REDIS_ROUTES.map((r) => [r.kind, r.prefix]));

const TYPE_OF_KIND: Readonly<Record<string, string>> = {
  [KIND.string]: 'string',
  [KIND.hll]: 'hll',
  [KIND.hashMeta]: 'hash',
  [KIND.hashField]: 'hash',
  [KIND.listMeta]: 'list',
  [KIND.listItem]: 'list',
  [KIND.setMeta]: 'set',
  [KIND.setMember]: 'set',
  [KIND.zsetMeta]: 'zset',
  [KIND.zsetMember]: 'zset',
  [KIND.zsetLegacy]: 'zset',
  [KIND.streamMeta]: 'stream',
  [KIND.streamEntry]: 'stream',
};

function userKey(kind: RedisKind, key: Buffer): Buffer | undefined {
  switch (kind) {
    case KIND.string:
      return key.subarray(STRING_PREFIX.length);
    case KIND.hll:
      return key.subarray(HLL_PREFIX.length);
    case KIND.ttl:
      return key.subarray(TTL_PREFIX.length);
    case KIND.zsetLegacy:
      return key.subarray(ZSET_LEGACY_PREFIX.length);
    case KIND.listMeta:
      return key.subarray(LIST_META_PREFIX.length);
    case KIND.listItem:
      return parseListItem(key)?.userKey;
    case KIND.ignored:
      return undefined;
    default: {
      const prefix = PREFIX_OF_KIND.get(kind);
      return prefix === undefined ? undefined : parseLengthPrefixed(key, prefix)?.userKey;
    }
  }
}

export const REDIS_FILTER: FilterVocabulary<RedisKind> = {
  scopeField: 'db',
  types: REDIS_TYPES,
  keyed: true,
  rowScope(kind, key, switches): RowScope | undefined {
    const k = asBuffer(key);
    const scope = Buffer.from(String(switches.redisDbIndex));
    // Derived rows (meta deltas, list claims, the score index) are read past by the decoder: scope only.
    if (kind === KIND.ignored) return { scope };
    const uk = userKey(kind, k);
    if (uk === undefined) return undefined;
    const type = TYPE_OF_KIND[kind];
    return type === undefined ? { scope, key: uk } : { scope, type, key: uk };
  },
};
