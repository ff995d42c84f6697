// Encoding `redis/db_0/` back into rows (spec redis.md §3; elastickv: internal/backup/encode_redis.go,
// encode_snapshot.go (enumerateRedisDBs)).
//
// Strings: one `!redis|str|K` row in the new format (TTL inline, never a `!redis|ttl|` row). HLLs: the raw
// sketch without TTL, or the inline form plus a `!redis|ttl|K` scan-index row with one. Collections and streams:
// collections-encode.ts. Names decode through
// the segment rules, SHA-fallback names through KEYMAP.jsonl. Unlike the reference, which skips symlinks,
// directories and other non-regular entries silently, this reader refuses them, naming the path.

import { DataError } from '../../errors.ts';
import { JsonObject, JsonTypeError, readString, readUint } from '../../json/go-json-read.ts';
import type { ExternalSorter } from '../../sort/external-sort.ts';
import { lookupJoin } from '../../sort/lookup-join.ts';
import { jsonValues } from '../../tree/json-stream.ts';
import { loadKeymap, type KeymapRecord } from '../../tree/keymap.ts';
import { readListed, readListedOrFind } from '../../tree/read-ahead.ts';
import { READ_AT_ONCE_MAX, unexpectedEntry } from '../../tree/reader.ts';
import { decodeSegment, SegmentError } from '../../tree/segment.ts';
import type { EncodeContext } from '../adapter.ts';
import { encodeDocument, encodeStream, type DocType } from './collections-encode.ts';
import { HLL_VERSION, STRING_VERSION, encodeInlineValue, encodeTtlValue, inlineValueHeader } from './inline-value.ts';
import { HLL_PREFIX, STRING_PREFIX, TTL_PREFIX, bareKey as key } from './keys.ts';

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
  if (kind !== 'dir') throw new DataError('REDIS_NOT_DIR', 'redis db path is not a directory', { path: 'redis' });
  const dbs: string[] = [];
  for (const e of await ctx.tree.list('redis')) {
    if (!DB_NAME.test(e.name)) continue;
    if (e.kind !== 'dir') throw new DataError('REDIS_NOT_DIR', 'redis db path is not a directory', { path: `redis/${e.name}` });
    dbs.push(e.name);
  }
  if (dbs.length === 0) return undefined;
  if (dbs.length > 1 || dbs[0] !== 'db_0') {
    throw new DataError('REDIS_MULTI_DB_UNSUPPORTED', `redis encoder requires single db_0 (multi-DB or non-zero DB not yet supported): found ${dbs.join(', ')}`, { path: 'redis' });
  }
  return 'redis/db_0';
}

/** What reading a Redis tree needs: the tree and sorters (an encode context, or an export's). */
export type RedisTreeSource = Pick<EncodeContext, 'tree' | 'newSorter'>;

/**
 * Streams a TTL sidecar (`{"key": <segment>, "expire_at_ms": <uint64>}` JSON values) into a sorter keyed by
 * segment, so the lookup for each file is a merge join instead of an in-memory map.
 */
async function sortTtls(src: RedisTreeSource, rel: string): Promise<ExternalSorter> {
  const sorter = src.newSorter();
  if ((await src.tree.kind(rel)) === undefined) return sorter;
  let record = 0;
  for await (const { value: v } of jsonValues(src.tree, rel, 'REDIS_TTL_SIDECAR_INVALID', `decode ${rel}`)) {
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
    if (rec === undefined) throw new DataError('REDIS_MISSING_KEYMAP', `redis encode missing KEYMAP entry for sha-fallback key: encoded ${JSON.stringify(stem)}`, { path });
    return rec.original;
  }
}

/** A string or HLL file of a database directory with its key and TTL (0: none). */
export interface ScalarFile {
  readonly key: Uint8Array;
  readonly path: string;
  readonly expireAtMs: bigint;
}

/** The `.bin` files of `<db>/strings` or `<db>/hll` in name order, joined with the family's TTL sidecar. */
export async function* scalarFiles(src: RedisTreeSource, db: string, family: 'strings' | 'hll', keymap: Map<string, KeymapRecord>): AsyncGenerator<ScalarFile> {
  const ttls = await sortTtls(src, `${db}/${family === 'strings' ? 'strings_ttl.jsonl' : 'hll_ttl.jsonl'}`);
  const rel = `${db}/${family}`;
  const kind = await src.tree.kind(rel);
  if (kind === undefined) {
    await ttls.dispose();
    return;
  }
  if (kind !== 'dir') throw new DataError('REDIS_NOT_DIR', 'redis db path is not a directory', { path: rel });
  // Files sorted by name, joined with the TTL records sorted the same way.
  const files = src.newSorter();
  for await (const e of src.tree.entries(rel)) {
    if (e.kind !== 'file') throw unexpectedEntry(`${rel}/${e.name}`, `a directory where a ${family === 'strings' ? 'string' : 'HyperLogLog'} file belongs`);
    if (!e.name.endsWith('.bin')) continue;
    await files.add(e.nameBytes.subarray(0, e.nameBytes.length - 4), e.nameBytes);
  }
  for await (const { left, right } of lookupJoin(files.sorted(), ttls.sorted())) {
    const name = Buffer.from(left.value).toString('utf8');
    const path = `${rel}/${name}`;
    const expireAtMs = right === undefined ? 0n : Buffer.from(right.value).readBigUInt64BE(0);
    yield { key: keyOfStem(name.slice(0, -4), keymap, path), path, expireAtMs };
  }
}

/** A collection document or stream file of a database directory. */
export interface CollectionFile {
  readonly type: DocType | 'stream';
  readonly key: Uint8Array;
  readonly path: string;
}

/** The collection files of a database directory, directory by directory in the reference's encode order. */
export async function* collectionFiles(
  src: RedisTreeSource,
  db: string,
  keymap: Map<string, KeymapRecord>,
): AsyncGenerator<CollectionFile> {
  for (const [dir, type] of COLLECTION_DIRS) {
    const rel = `${db}/${dir}`;
    const kind = await src.tree.kind(rel);
    if (kind === undefined) continue;
    if (kind !== 'dir')
      throw new DataError(
        'REDIS_NOT_DIR',
        `redis db path is not a directory: ${JSON.stringify(rel)} is not a directory`,
        { path: rel },
      );
    const ext = type === 'stream' ? '.jsonl' : '.json';
    for await (const e of src.tree.entries(rel)) {
      const path = `${rel}/${e.name}`;
      if (e.kind !== 'file') throw unexpectedEntry(path, `a directory where a ${type} file belongs`);
      if (!e.name.endsWith(ext)) continue;
      yield { type, key: keyOfStem(e.name.slice(0, -ext.length), keymap, path), path };
    }
  }
}

export async function encodeRedis(ctx: EncodeContext): Promise<void> {
  const db = await findDb(ctx);
  if (db === undefined) return;
  const keymap = await loadKeymap(ctx.tree, `${db}/KEYMAP.jsonl`);

  const strings = readListedOrFind(ctx.tree, scalarFiles(ctx, db, 'strings', keymap), (f) => f.path, READ_AT_ONCE_MAX);
  for await (const { item: f, body } of strings) {
    const k = key(STRING_PREFIX, f.key);
    if (Buffer.isBuffer(body)) await ctx.emit(k, encodeInlineValue(STRING_VERSION, body, f.expireAtMs));
    else await ctx.emitFile(k, inlineValueHeader(STRING_VERSION, f.expireAtMs), body, 0, body.size);
  }
  for await (const { item: f, body } of readListed(ctx.tree, scalarFiles(ctx, db, 'hll', keymap), (f) => f.path)) {
    if (f.expireAtMs === 0n) {
      await ctx.emit(key(HLL_PREFIX, f.key), body);
      continue;
    }
    await ctx.emit(key(HLL_PREFIX, f.key), encodeInlineValue(HLL_VERSION, body, f.expireAtMs));
    await ctx.emit(key(TTL_PREFIX, f.key), encodeTtlValue(f.expireAtMs));
  }
  // Documents are read ahead; streams are read line by line when their turn comes.
  const docs = readListed(ctx.tree, collectionFiles(ctx, db, keymap), (f) => (f.type === 'stream' ? undefined : f.path));
  for await (const { item: f, body } of docs) {
    if (f.type === 'stream') await encodeStream(ctx, f.key, f.path);
    else await encodeDocument(ctx, f.type, f.key, f.path, body as Buffer);
  }
}
