// Encoding `redis/db_0/` back into rows (spec redis.md §3; elastickv: internal/backup/encode_redis.go,
// encode_snapshot.go (enumerateRedisDBs)).
//
// Strings: one `!redis|str|K` row in the new format (TTL inline, never a `!redis|ttl|` row). HLLs: the raw
// sketch without TTL, or the inline form plus a `!redis|ttl|K` scan-index row with one. Collections and streams:
// collections-encode.ts. Names decode through
// the segment rules, SHA-fallback names through KEYMAP.jsonl. Unlike the reference, which skips symlinks and
// other non-regular entries silently, this reader refuses them, naming the path.

import { DataError } from '../../errors.ts';
import { JsonObject, JsonTypeError, readString, readUint } from '../../json/go-json-read.ts';
import type { ExternalSorter } from '../../sort/external-sort.ts';
import { lookupJoin } from '../../sort/lookup-join.ts';
import { jsonValues } from '../../tree/json-stream.ts';
import { loadKeymap, type KeymapRecord } from '../../tree/keymap.ts';
import { decodeSegment, SegmentError } from '../../tree/segment.ts';
import type { EncodeContext } from '../adapter.ts';
import { encodeDocument, encodeStream, type DocType } from './collections-encode.ts';
import { HLL_VERSION, STRING_VERSION, encodeInlineValue, encodeTtlValue } from './inline-value.ts';
import { HLL_PREFIX, STRING_PREFIX, TTL_PREFIX } from './keys.ts';

const DB_NAME = /^db_(0|[1-9][0-9]*)$/;
/** Collection directories in the reference's encode order. */
const COLLECTION_DIRS: ReadonlyArray<readonly [string, DocType | 'stream']> = [
  ['hashes', 'hash'],
  ['sets', 'set'],
  ['lists', 'list'],
  ['zsets', 'zset'],
  ['streams', 'stream'],
];

/** Finds `redis/db_0` (core.md §4.3): only a single db_0 is supported, as in the reference. */
async function findDb(ctx: EncodeContext): Promise<string | undefined> {
  const kind = await ctx.tree.kind('redis');
  if (kind === undefined) return undefined;
  if (kind !== 'dir') throw new DataError('REDIS_NOT_DIR', 'backup: redis db path is not a directory', { path: 'redis' });
  const dbs: string[] = [];
  for (const e of await ctx.tree.list('redis')) {
    if (!DB_NAME.test(e.name)) continue;
    if (e.kind !== 'dir') throw new DataError('REDIS_NOT_DIR', 'backup: redis db path is not a directory', { path: `redis/${e.name}` });
    dbs.push(e.name);
  }
  if (dbs.length === 0) return undefined;
  if (dbs.length > 1 || dbs[0] !== 'db_0') {
    throw new DataError('REDIS_MULTI_DB_UNSUPPORTED', `backup: redis encoder requires single db_0 (multi-DB or non-zero DB not yet supported): found ${dbs.join(', ')}`, { path: 'redis' });
  }
  return 'redis/db_0';
}

/**
 * Streams a TTL sidecar (`{"key": <segment>, "expire_at_ms": <uint64>}` JSON values) into a sorter keyed by
 * segment, so the lookup for each file is a merge join instead of an in-memory map.
 */
async function sortTtls(ctx: EncodeContext, rel: string): Promise<ExternalSorter> {
  const sorter = ctx.newSorter();
  if ((await ctx.tree.kind(rel)) === undefined) return sorter;
  let record = 0;
  for await (const { value: v } of jsonValues(ctx.tree, rel, 'REDIS_TTL_SIDECAR_INVALID', `decode ${rel}`)) {
    record++;
    if (v !== null && !(v instanceof JsonObject)) throw new DataError('REDIS_TTL_SIDECAR_INVALID', `decode ${rel}: record ${record} is not a JSON object`, { path: rel });
    try {
      const key = v === null ? '' : readString(v.field('key'), 'key');
      const ms = v === null ? 0n : readUint(v.field('expire_at_ms'), 'expire_at_ms');
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(ms);
      await sorter.add(Buffer.from(key, 'utf8'), b);
    } catch (err) {
      if (err instanceof JsonTypeError) throw new DataError('REDIS_TTL_SIDECAR_INVALID', `decode ${rel}: record ${record}: ${err.message}`, { path: rel });
      throw err;
    }
  }
  return sorter;
}

function keyOfStem(stem: string, keymap: Map<string, KeymapRecord>, path: string): Uint8Array {
  try {
    return decodeSegment(stem);
  } catch (err) {
    if (!(err instanceof SegmentError)) throw err;
    if (!err.needsKeymap) throw new DataError('REDIS_BAD_NAME', `${err.message}: ${JSON.stringify(stem)}`, { path });
    const rec = keymap.get(stem);
    if (rec === undefined) throw new DataError('REDIS_MISSING_KEYMAP', `backup: redis encode missing KEYMAP entry for sha-fallback key: encoded ${JSON.stringify(stem)}`, { path });
    return rec.original;
  }
}

async function encodeBlobs(
  ctx: EncodeContext,
  db: string,
  dir: string,
  keymap: Map<string, KeymapRecord>,
  ttls: ExternalSorter,
  emitOne: (k: Uint8Array, body: Buffer, ms: bigint) => Promise<void>,
): Promise<void> {
  const rel = `${db}/${dir}`;
  const kind = await ctx.tree.kind(rel);
  if (kind === undefined) {
    await ttls.dispose();
    return;
  }
  if (kind !== 'dir') throw new DataError('REDIS_NOT_DIR', 'backup: redis db path is not a directory', { path: rel });
  // Files sorted by name, joined with the TTL records sorted the same way.
  const files = ctx.newSorter();
  for await (const e of ctx.tree.entries(rel)) {
    if (e.kind !== 'file' || !e.name.endsWith('.bin')) continue;
    await files.add(e.nameBytes.subarray(0, e.nameBytes.length - 4), e.nameBytes);
  }
  for await (const { left, right } of lookupJoin(files.sorted(), ttls.sorted())) {
    const name = Buffer.from(left.value).toString('utf8');
    const stem = name.slice(0, -4);
    const path = `${rel}/${name}`;
    const k = keyOfStem(stem, keymap, path);
    const ms = right === undefined ? 0n : Buffer.from(right.value).readBigUInt64BE(0);
    await emitOne(k, await ctx.tree.readFile(path), ms);
  }
}

export async function encodeRedis(ctx: EncodeContext): Promise<void> {
  const db = await findDb(ctx);
  if (db === undefined) return;
  const keymap = await loadKeymap(ctx.tree, `${db}/KEYMAP.jsonl`);
  const key = (prefix: string, k: Uint8Array): Buffer => Buffer.concat([Buffer.from(prefix, 'latin1'), k]);

  const stringTtls = await sortTtls(ctx, `${db}/strings_ttl.jsonl`);
  await encodeBlobs(ctx, db, 'strings', keymap, stringTtls, async (k, body, ms) => {
    await ctx.emit(key(STRING_PREFIX, k), encodeInlineValue(STRING_VERSION, body, ms));
  });

  const hllTtls = await sortTtls(ctx, `${db}/hll_ttl.jsonl`);
  await encodeBlobs(ctx, db, 'hll', keymap, hllTtls, async (k, body, ms) => {
    if (ms === 0n) {
      await ctx.emit(key(HLL_PREFIX, k), body);
      return;
    }
    await ctx.emit(key(HLL_PREFIX, k), encodeInlineValue(HLL_VERSION, body, ms));
    await ctx.emit(key(TTL_PREFIX, k), encodeTtlValue(ms));
  });

  for (const [dir, type] of COLLECTION_DIRS) {
    const rel = `${db}/${dir}`;
    const kind = await ctx.tree.kind(rel);
    if (kind === undefined) continue;
    if (kind !== 'dir') throw new DataError('REDIS_NOT_DIR', `backup: redis db path is not a directory: ${JSON.stringify(rel)} is not a directory`, { path: rel });
    const ext = type === 'stream' ? '.jsonl' : '.json';
    for await (const e of ctx.tree.entries(rel)) {
      if (e.kind !== 'file' || !e.name.endsWith(ext)) continue;
      const path = `${rel}/${e.name}`;
      const k = keyOfStem(e.name.slice(0, -ext.length), keymap, path);
      if (type === 'stream') await encodeStream(ctx, k, path);
      else await encodeDocument(ctx, type, k, path);
    }
  }
}
