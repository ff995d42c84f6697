// Reading a Redis tree as logical records (key, type, value, TTL) for export: every `redis/db_<n>/`, strings
// and HLLs joined with their TTL sidecars, collection documents, streams line by line. The same readers and
// checks as encode (encode.ts, collections-encode.ts); a record the caller's filter refuses is skipped before
// its file is read.

import { DataError } from '../../errors.ts';
import { loadKeymap } from '../../tree/keymap.ts';
import type { RowScope } from '../adapter.ts';
import { readDocument, readStream, type RedisDocument, type StreamLine } from './collections-encode.ts';
import { collectionFiles, scalarFiles, type RedisTreeSource } from './encode.ts';

const DB_NAME = /^db_(0|[1-9][0-9]*)$/;

interface Base {
  /** Database number (`redis/db_<n>`). */
  readonly db: number;
  readonly key: Buffer;
  /** Where the record was read from, relative to the dump root. */
  readonly path: string;
}

export type RedisRecord =
  | (Base & { readonly type: 'string' | 'hll'; readonly expireAtMs: bigint; readonly value: Buffer })
  | (Base & RedisDocument)
  /** A stream: iterate `lines()` (entries, then the `_meta` line) before asking for the next record. */
  | (Base & { readonly type: 'stream'; lines(): AsyncGenerator<StreamLine> });

/** The databases of a tree, in number order. */
async function databases(src: RedisTreeSource): Promise<number[]> {
  const kind = await src.tree.kind('redis');
  if (kind === undefined) return [];
  if (kind !== 'dir') throw new DataError('REDIS_NOT_DIR', 'redis db path is not a directory', { path: 'redis' });
  const dbs: number[] = [];
  for (const e of await src.tree.list('redis')) {
    const m = DB_NAME.exec(e.name);
    if (m === null) continue;
    if (e.kind !== 'dir') throw new DataError('REDIS_NOT_DIR', 'redis db path is not a directory', { path: `redis/${e.name}` });
    dbs.push(Number(m[1]));
  }
  return dbs.sort((a, b) => a - b);
}

/**
 * Every Redis record of the tree under `src`: per database, strings, HLLs, then hashes, sets, lists, sorted sets
 * and streams. `accept` sees each record's scope (database number), type and key before its file is read.
 */
export async function* readRedisRecords(
  src: RedisTreeSource,
  accept: (row: RowScope) => boolean = () => true,
): AsyncGenerator<RedisRecord> {
  for (const db of await databases(src)) {
    const dir = `redis/db_${db}`;
    const scope = Buffer.from(String(db));
    const keymap = await loadKeymap(src.tree, `${dir}/KEYMAP.jsonl`);
    for (const [family, type] of [
      ['strings', 'string'],
      ['hll', 'hll'],
    ] as const) {
      for await (const f of scalarFiles(src, dir, family, keymap)) {
        const key = Buffer.from(f.key);
        if (!accept({ scope, type, key })) continue;
        const value = await src.tree.readFile(f.path, undefined, { listed: true });
        yield { db, key, path: f.path, type, expireAtMs: f.expireAtMs, value };
      }
    }
    for await (const f of collectionFiles(src, dir, keymap)) {
      const key = Buffer.from(f.key);
      if (!accept({ scope, type: f.type, key })) continue;
      if (f.type === 'stream')
        yield { db, key, path: f.path, type: 'stream', lines: () => readStream(src.tree, key, f.path) };
      else yield { db, key, path: f.path, ...(await readDocument(src.tree, f.type, key, f.path)) };
    }
  }
}
