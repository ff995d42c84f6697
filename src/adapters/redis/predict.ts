// What a Redis decode writes, predicted from inspect's counts (pipeline/inspect.ts): one `.bin` per string and
// HyperLogLog key (its value as it is), one JSON file per hash, list, set and sorted set and one JSONL per stream
// (members as JSON, about 1.5 times their key and value bytes, measured on bench's redis-hashes and redis-lists),
// and strings_ttl.jsonl / hll_ttl.jsonl when keys of that family carry a TTL. Not predictable from counts: a
// KEYMAP.jsonl per database when a name is too long, and a TTL file for TTLs held inside string values.

import type { KindCounts, TreeCounts, TreePrediction } from '../adapter.ts';

const NONE: KindCounts = { entries: 0, keyBytes: 0, valueBytes: 0 };
const MEMBER_KINDS = ['hash-field', 'list-item', 'set-member', 'zset-member', 'stream-entry'];
const COLLECTION_TYPES = ['hash', 'list', 'set', 'zset', 'stream'];

/** Predicts the redis/ subtree. */
export function predictRedisTree(c: TreeCounts): TreePrediction {
  const kind = (k: string): KindCounts => c.kinds.get(k) ?? NONE;
  const ttl = kind('ttl').entries;
  const families = (kind('string').entries > 0 ? 1 : 0) + (kind('hll').entries > 0 ? 1 : 0);
  const collections = COLLECTION_TYPES.reduce((n, t) => n + (c.keysByType.get(t) ?? 0), 0);
  const memberBytes = MEMBER_KINDS.reduce((n, k) => n + kind(k).keyBytes + kind(k).valueBytes, 0);
  return {
    files: kind('string').entries + kind('hll').entries + collections + Math.min(ttl, families),
    filesExact: false,
    bytes: Math.round(kind('string').valueBytes + kind('hll').valueBytes + 1.5 * memberBytes + 100 * collections + 60 * ttl),
    scratchBytes: memberBytes,
  };
}
