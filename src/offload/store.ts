// Object stores for offloaded snapshots: the interface publish and restore use, and the local-directory store
// (the reference's LocalStore, internal/snapshotoffload/store.go): an object is a file under the root at its
// key's path, written as a `.put-*` temp file in the same directory, size- and SHA-256-checked, fsynced, then
// hard-linked into place (an existing object is never replaced: the same bytes are accepted, different bytes
// are an integrity error).

import { createHash } from 'node:crypto';
import { constants as fsc, createReadStream, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataError, UserError } from '../errors.ts';
import { fsyncDir, randomHex } from '../tree/publish.ts';
import { trackTemp } from '../tree/temp-paths.ts';
import { normalizeObjectKey } from './manifest.ts';
import { writeAll } from '../fs/write-all.ts';

/** An object's key, size and SHA-256 as a store reports it. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Lower-case hex SHA-256 when the store knows it without reading the object ('' otherwise). */
  readonly sha256: string;
}

/** What an object being put must be: its size, SHA-256 and content type. */
export interface PutOptions {
  readonly size: number;
  readonly sha256: string;
  readonly contentType: string;
}

/** What to upload: a file (re-readable, for retries and multipart) or bytes in memory (small objects only). */
export type PutSource = { readonly path: string } | { readonly bytes: Buffer };

/** Where offload publishes and restores: a local directory (LocalStore) or an S3 bucket (S3Store). */
export interface ObjectStore {
  /** How an object is shown in messages (a path, or s3://bucket/key). */
  describe(key: string): string;
  /** Creates the object if absent; an existing object with the same size and SHA-256 is accepted. */
  put(key: string, source: PutSource, opts: PutOptions): Promise<ObjectInfo>;
  /** Opens an object; OFFLOAD_OBJECT_NOT_FOUND (exit 2) when absent. */
  get(key: string): Promise<{ body: AsyncIterable<Uint8Array>; info: ObjectInfo }>;
  /** Metadata of an object, or undefined when absent. */
  head(key: string): Promise<ObjectInfo | undefined>;
}

/** The reference's validateStoreObjectKey: normalised, and not escaping the store. */
export function checkObjectKey(key: string): string {
  const n = normalizeObjectKey(key);
  if (n === '' || n === '.' || n === '..' || n.startsWith('../')) throw new UserError('OFFLOAD_KEY_INVALID', `invalid object key ${JSON.stringify(key)}`);
  return n;
}

export function notFound(where: string): DataError {
  return new DataError('OFFLOAD_OBJECT_NOT_FOUND', 'object not found', { path: where });
}

export function integrity(where: string, reason: string): DataError {
  return new DataError('OFFLOAD_INTEGRITY', reason, { path: where });
}

/** Bytes of a PutSource as a stream of chunks. */
export async function* sourceChunks(source: PutSource, start = 0, length?: number): AsyncGenerator<Buffer> {
  if ('bytes' in source) {
    yield source.bytes.subarray(start, length === undefined ? undefined : start + length);
    return;
  }
  const end = length === undefined ? undefined : start + length - 1;
  if (length === 0) return;
  (yield *
    createReadStream(source.path, {
      start,
      ...(end !== undefined ? { end } : {}),
      highWaterMark: 1024 * 1024,
    })) as AsyncIterable<Buffer>;
}

/** An object store in a local directory (`--store local --local-root DIR`): each object a file, written atomically. */
export class LocalStore implements ObjectStore {
  readonly #root: string;

  constructor(root: string) {
    if (root.trim() === '') throw new UserError('FLAG_INVALID', '--local-root is required when --store=local');
    this.#root = root;
  }

  describe(key: string): string {
    return join(this.#root, normalizeObjectKey(key));
  }

  #path(key: string): string {
    return join(this.#root, checkObjectKey(key));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const path = this.#path(key);
    const st = await fsp.stat(path).catch((err: unknown) => {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw new UserError('OFFLOAD_STORE_IO', `cannot stat object: ${e.message}`, { path });
    });
    if (st === undefined) return undefined;
    if (!st.isFile()) throw new UserError('OFFLOAD_STORE_IO', 'object is not a regular file', { path });
    return { key: normalizeObjectKey(key), size: st.size, sha256: '' };
  }

  async get(key: string): Promise<{ body: AsyncIterable<Uint8Array>; info: ObjectInfo }> {
    const info = await this.head(key);
    if (info === undefined) throw notFound(this.describe(key));
    const fh = await fsp.open(this.#path(key), fsc.O_RDONLY);
    return { body: fh.createReadStream({ highWaterMark: 1024 * 1024 }), info };
  }

  async put(key: string, source: PutSource, opts: PutOptions): Promise<ObjectInfo> {
    const final = this.#path(key);
    await fsp.mkdir(dirname(final), { recursive: true, mode: 0o755 });
    const tmp = join(dirname(final), `.put-${randomHex()}`);
    const untrack = trackTemp(tmp);
    try {
      const fh = await fsp.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      const hash = createHash('sha256');
      let n = 0;
      try {
        for await (const chunk of sourceChunks(source)) {
          hash.update(chunk);
          n += chunk.length;
          await writeAll(fh, chunk);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const sha = hash.digest('hex');
      if (n !== opts.size) throw integrity(final, `object wrote ${n} bytes, expected ${opts.size}`);
      if (sha !== opts.sha256) throw integrity(final, `object wrote sha256 ${sha}, expected ${opts.sha256}`);
      try {
        await fsp.link(tmp, final);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const existing = await hashFile(final);
        if (existing.size !== opts.size || existing.sha256 !== opts.sha256) throw integrity(final, 'object already exists with different content');
        return { key: normalizeObjectKey(key), ...existing };
      }
      await fsyncDir(dirname(final));
      return { key: normalizeObjectKey(key), size: opts.size, sha256: opts.sha256 };
    } finally {
      await fsp.rm(tmp, { force: true });
      untrack();
    }
  }
}

async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}
