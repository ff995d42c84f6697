// Encoding `s3/<bucket>/` back into rows (elastickv: internal/backup/encode_s3.go, encode_s3_objects.go,
// encode_s3_collision.go).
//
// Per bucket directory: `_bucket.json` gives the bucket metadata (generation 1) and the generation counter;
// every other file is an object body whose metadata is its `.elastickv-meta.json` sidecar. Bodies are streamed
// in 1 MiB chunks into `!s3|blob|` rows of one part of the restore upload, then the manifest row lists the
// chunk sizes. Mapped keys (folder markers, empty segments, `.user-data`, `.elastickv-leaf-data`, SHA fallbacks
// of long names; see tree-names.ts) are mapped back through the bucket's KEYMAP.jsonl, which is validated
// strictly. `_orphans/` and `_incomplete_uploads/` are not user data.

import { DataError } from '../../errors.ts';
import { JsonSyntaxError, JsonTypeError, parseJsonBytes } from '../../json/go-json-read.ts';
import { readKeymap, type KeymapRecord, KIND_META_COLLISION, KIND_S3_EMPTY_SEGMENT, KIND_S3_FOLDER_MARKER, KIND_S3_LEAF_DATA, KIND_SHA_FALLBACK } from '../../tree/keymap.ts';
import { joinRel, showRel } from '../../tree/paths.ts';
import { READ_AT_ONCE_MAX, unexpectedEntry, type TreeFile, type TreeReader } from '../../tree/reader.ts';
import { encodeSegment } from '../../tree/segment.ts';
import type { EncodeContext, RowScope } from '../adapter.ts';
import { FOLDER_MARKER_NAME, LEAF_DATA_SUFFIX, META_SUFFIX } from './tree-names.ts';
import { blobKey, bucketGenKey, bucketMetaKey, manifestKey } from './keys.ts';
import { parseBucketJson, parseObjectSidecar, renderLiveBucketMeta, renderLiveManifest, type ObjectMeta, type PublicBucket } from './records.ts';

const RESTORE_GENERATION = 1n;
const RESTORE_UPLOAD_ID = 'elastickv-restore';
const CHUNK_SIZE = 1024 * 1024;
const NO_HEAD = Buffer.alloc(0);
const RESTORE_PART = 1n;
const RESERVED_ROOTS = new Set(['_orphans', '_incomplete_uploads']);

const invalidBucket = (path: string, why: string): DataError => new DataError('S3_ENCODE_INVALID_BUCKET', `s3 encode invalid _bucket.json: ${why}`, { path });
const invalidSidecar = (path: string, why: string): DataError => new DataError('S3_ENCODE_INVALID_MANIFEST', `s3 encode invalid object sidecar: ${why}`, { path });
const invalidKeymap = (path: string, why: string): DataError => new DataError('S3_ENCODE_INVALID_KEYMAP', `invalid KEYMAP.jsonl record: ${why}`, { path });

async function readBucket(tree: TreeReader, dirName: string): Promise<PublicBucket> {
  const rel = `s3/${dirName}/_bucket.json`;
  if ((await tree.kind(rel)) === undefined) throw invalidBucket(rel, 'missing (every bucket directory needs its _bucket.json)');
  let pub: PublicBucket;
  try {
    pub = parseBucketJson(parseJsonBytes(await tree.readFile(rel)));
  } catch (err) {
    if (err instanceof JsonSyntaxError || err instanceof JsonTypeError) throw invalidBucket(rel, err.message);
    throw err;
  }
  if (pub.formatVersion !== 1n) throw invalidBucket(rel, `unsupported format_version ${pub.formatVersion}`);
  if (pub.name === '') throw invalidBucket(rel, 'empty bucket name');
  const want = encodeSegment(Buffer.from(pub.name, 'utf8'));
  if (want !== dirName) throw invalidBucket(rel, `bucket name ${JSON.stringify(pub.name)} encodes to dir ${JSON.stringify(want)}, not ${JSON.stringify(dirName)} (dump tampered or rebuilt by hand?)`);
  return pub;
}

/**
 * The reference's strict KEYMAP checks for S3 buckets (readKeymapStrict, validateKeymapRecord), and ours for our kinds.
 */
function validateKeymapRecord(rec: KeymapRecord, path: string): void {
  const fail = (why: string): never => {
    throw invalidKeymap(path, why);
  };
  if (![KIND_S3_LEAF_DATA, KIND_META_COLLISION, KIND_SHA_FALLBACK, KIND_S3_FOLDER_MARKER, KIND_S3_EMPTY_SEGMENT].includes(rec.kind)) fail(`unknown kind ${JSON.stringify(rec.kind)} for encoded segment ${JSON.stringify(rec.encoded)}`);
  if (rec.encoded.includes('\\')) fail(`encoded path ${JSON.stringify(rec.encoded)} contains backslash`);
  const segs = rec.encoded.split('/');
  for (const s of segs) if (s === '' || s === '.' || s === '..') fail(`encoded path ${JSON.stringify(rec.encoded)} contains invalid segment ${JSON.stringify(s)}`);
  if ((segs[segs.length - 1] as string).endsWith(META_SUFFIX)) fail(`encoded path ${JSON.stringify(rec.encoded)} ends in reserved sidecar suffix`);
  if (segs.length === 1 && (segs[0] === '_bucket.json' || segs[0] === 'KEYMAP.jsonl')) fail(`encoded path ${JSON.stringify(rec.encoded)} names a top-level control file the walker skips`);
  if (RESERVED_ROOTS.has(segs[0] as string)) fail(`encoded path ${JSON.stringify(rec.encoded)} targets reserved dump subtree ${JSON.stringify(segs[0])}`);
  const original = Buffer.from(rec.original).toString('latin1');
  if (original === '') fail(`empty original key for encoded segment ${JSON.stringify(rec.encoded)}`);
  if (original.includes('\u0000')) fail(`original key contains NUL byte (encoded=${JSON.stringify(rec.encoded)})`);
  if (original.includes('\\')) fail(`original key contains backslash (encoded=${JSON.stringify(rec.encoded)})`);
  // Empty segments are what folder markers and empty-segment mappings exist for (the reference refuses them).
  for (const s of original.split('/')) if (s === '.' || s === '..') fail(`original key has invalid path segment ${JSON.stringify(s)} (encoded=${JSON.stringify(rec.encoded)})`);
  const emptySegments = original.split('/').map((s, i, all) => (s === '' ? (i === all.length - 1 ? 'trailing' : 'inner') : undefined));
  if (rec.kind === KIND_S3_FOLDER_MARKER && (!original.endsWith('/') || emptySegments.includes('inner') || segs[segs.length - 1] !== FOLDER_MARKER_NAME)) {
    fail(`KindS3FolderMarker needs an original ending in "/" and an encoded path ending in ${JSON.stringify(FOLDER_MARKER_NAME)} (encoded=${JSON.stringify(rec.encoded)})`);
  }
  if (rec.kind === KIND_S3_EMPTY_SEGMENT && !emptySegments.includes('inner')) fail(`KindS3EmptySegment original has no inner empty segment (encoded=${JSON.stringify(rec.encoded)})`);
  if (RESERVED_ROOTS.has(original.split('/')[0] as string)) fail(`original key targets reserved dump subtree (encoded=${JSON.stringify(rec.encoded)})`);
  if (rec.kind === KIND_S3_LEAF_DATA && !rec.encoded.endsWith(LEAF_DATA_SUFFIX)) fail(`KindS3LeafData encoded ${JSON.stringify(rec.encoded)} missing ${JSON.stringify(LEAF_DATA_SUFFIX)} suffix`);
  if (rec.kind === KIND_META_COLLISION && !original.endsWith(META_SUFFIX)) fail(`KindMetaCollision original missing ${JSON.stringify(META_SUFFIX)} suffix`);
}

/** The bucket's KEYMAP when it is the decoder's rename tracker (a regular KEYMAP.jsonl without a sidecar). */
async function loadBucketKeymap(tree: TreeReader, dir: string): Promise<Map<string, KeymapRecord> | undefined> {
  const rel = `${dir}/KEYMAP.jsonl`;
  if ((await tree.kind(rel)) !== 'file') return undefined;
  if ((await tree.kind(`${rel}${META_SUFFIX}`)) === 'file') return undefined; // an object named KEYMAP.jsonl
  const out = new Map<string, KeymapRecord>();
  for await (const rec of readKeymap(tree, rel)) {
    if (out.has(rec.encoded)) throw invalidKeymap(rel, `duplicate encoded segment ${JSON.stringify(rec.encoded)} (S3 decoder writes one record per rename; a duplicate means the dump is corrupt)`);
    validateKeymapRecord(rec, rel);
    out.set(rec.encoded, rec);
  }
  for (const encoded of out.keys()) {
    const kind = await tree.kind(`${dir}/${encoded}`);
    if (kind === undefined) throw invalidKeymap(rel, `orphan keymap record: encoded ${JSON.stringify(encoded)} has no on-disk file under ${dir}`);
    if (kind !== 'file') throw invalidKeymap(rel, `keymap record ${JSON.stringify(encoded)} resolves to a directory, want regular file`);
  }
  return out;
}

async function holdsSidecar(tree: TreeReader, rel: Buffer): Promise<boolean> {
  for await (const e of tree.entries(rel)) {
    if (e.kind === 'dir') {
      if (await holdsSidecar(tree, joinRel(rel, e.nameBytes))) return true;
    } else if (e.name.endsWith(META_SUFFIX)) return true;
  }
  return false;
}

/**
 * Streams a body as exact 1 MiB chunks (the last one shorter), like io.ReadFull in a loop. The file's size is
 * checked against `size_bytes` before the first byte is read (`sizeError` builds the error), so a huge body
 * with a small recorded size is refused at once instead of after streaming it.
 */
async function* exactChunks(
  tree: TreeReader,
  rel: Buffer,
  expectedSize: bigint,
  sizeError: (actual: bigint) => Error,
): AsyncGenerator<Buffer> {
  const fh = await tree.open(rel);
  try {
    const size = BigInt((await fh.stat()).size);
    if (size !== expectedSize) throw sizeError(size);
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK_SIZE);
      let got = 0;
      while (got < CHUNK_SIZE) {
        const { bytesRead } = await fh.read(buf, got, CHUNK_SIZE - got, null);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got > 0) yield got === CHUNK_SIZE ? buf : Buffer.from(buf.subarray(0, got));
      if (got < CHUNK_SIZE) return;
    }
  } finally {
    await fh.close();
  }
}

/** One object of a bucket directory: its key, its sidecar's metadata, and its body. */
export interface TreeObject {
  readonly key: Buffer;
  /** The body file, relative to the dump root. */
  readonly path: string;
  readonly meta: ObjectMeta;
  /** The body in exact 1 MiB chunks (the last shorter); its length is checked against `meta.sizeBytes`. */
  chunks(): AsyncGenerator<Buffer>;
  /** The body's bytes when it is small (TreeReader.readOrFind), else the file found; its length checked either way. */
  body(): Promise<Buffer | TreeFile>;
}

export interface TreeBucket {
  /** The bucket's directory under `s3/`. */
  readonly dir: string;
  readonly bucket: PublicBucket;
  /** The bucket's objects in directory order; those `accept` refuses are left out before their body is opened. */
  objects(accept?: (row: RowScope) => boolean): AsyncGenerator<TreeObject>;
}

async function readObject(
  tree: TreeReader,
  bodyRel: Buffer,
  objectRel: Buffer,
  keymap: Map<string, KeymapRecord> | undefined,
  accept: ((key: Buffer) => boolean) | undefined,
): Promise<TreeObject | undefined> {
  const rec = keymap?.get(objectRel.toString('utf8'));
  const objectKey = rec === undefined ? objectRel : Buffer.from(rec.original);
  if (accept !== undefined && !accept(objectKey)) return undefined;
  const sidecarRel = Buffer.concat([bodyRel, Buffer.from(META_SUFFIX)]);
  if ((await tree.kind(sidecarRel)) === undefined)
    throw invalidSidecar(showRel(sidecarRel), 'missing: every object body needs its .elastickv-meta.json sidecar');
  let meta: ObjectMeta & { formatVersion: bigint };
  try {
    meta = parseObjectSidecar(parseJsonBytes(await tree.readFile(sidecarRel)));
  } catch (err) {
    if (err instanceof JsonSyntaxError || err instanceof JsonTypeError)
      throw invalidSidecar(showRel(sidecarRel), err.message);
    throw err;
  }
  if (meta.formatVersion !== 1n)
    throw invalidSidecar(showRel(sidecarRel), `unsupported format_version ${meta.formatVersion}`);
  const sizeError = (actual: bigint): Error =>
    invalidSidecar(
      showRel(sidecarRel),
      `${JSON.stringify(objectKey.toString('utf8'))}: size_bytes ${meta.sizeBytes} != body length ${actual}`,
    );
  return {
    key: objectKey,
    path: showRel(bodyRel),
    meta,
    async *chunks() {
      let total = 0n;
      for await (const chunk of exactChunks(tree, bodyRel, meta.sizeBytes, sizeError)) {
        total += BigInt(chunk.length);
        yield chunk;
      }
      if (total !== meta.sizeBytes) throw sizeError(total);
    },
    async body() {
      const body = await tree.readOrFind(bodyRel, READ_AT_ONCE_MAX, Number.MAX_SAFE_INTEGER, { listed: true });
      const size = BigInt(Buffer.isBuffer(body) ? body.length : body.size);
      if (size !== meta.sizeBytes) throw sizeError(size);
      return body;
    },
  };
}

async function* walk(
  tree: TreeReader,
  dir: string,
  rel: Buffer | undefined,
  keymap: Map<string, KeymapRecord> | undefined,
  accept: ((key: Buffer) => boolean) | undefined,
): AsyncGenerator<TreeObject> {
  const here = rel === undefined ? Buffer.from(dir) : joinRel(dir, rel);
  let entries = 0;
  for await (const e of tree.entries(here)) {
    entries++;
    const childRel = rel === undefined ? e.nameBytes : joinRel(rel, e.nameBytes);
    if (e.kind === 'dir') {
      if (rel === undefined && RESERVED_ROOTS.has(e.name)) {
        if (await holdsSidecar(tree, joinRel(dir, childRel))) {
          throw new DataError(
            'S3_ENCODE_RESERVED_PREFIX_COLLISION',
            `s3 encode user object key collides with reserved dump directory: ${dir}/${e.name}: rename the colliding S3 key before backup`,
            { path: `${dir}/${e.name}` },
          );
        }
        continue;
      }
      yield* walk(tree, dir, childRel, keymap, accept);
      continue;
    }
    if (rel === undefined && e.name === '_bucket.json') continue;
    if (rel === undefined && e.name === 'KEYMAP.jsonl' && keymap !== undefined) continue;
    if (e.name.endsWith(META_SUFFIX)) {
      await checkSidecarBody(tree, joinRel(dir, childRel));
      continue;
    }
    const obj = await readObject(tree, joinRel(dir, childRel), childRel, keymap, accept);
    if (obj !== undefined) yield obj;
  }
  // The decoder writes no empty directory: one here is an object body (or KEYMAP.jsonl) replaced by a directory.
  if (entries === 0 && rel !== undefined)
    throw unexpectedEntry(
      showRel(here),
      'an empty directory where the decoder writes none (an object body replaced by a directory?)',
    );
}

/** A sidecar names its object body, which must be a regular file: an object is never dropped for want of one. */
async function checkSidecarBody(tree: TreeReader, sidecarRel: Buffer): Promise<void> {
  const bodyRel = sidecarRel.subarray(0, sidecarRel.length - META_SUFFIX.length);
  const kind = await tree.kind(bodyRel);
  if (kind === 'file') return;
  if (kind === 'dir') throw unexpectedEntry(showRel(bodyRel), `a directory where the object body of ${JSON.stringify(showRel(sidecarRel))} belongs`);
  throw invalidSidecar(showRel(sidecarRel), 'its object body is missing (every sidecar belongs to an object body beside it)');
}

/**
 * Every bucket of a tree's `s3/` with its checked `_bucket.json`, and a reader of its objects (keys mapped back
 * through the bucket's KEYMAP). Used by encode and by `export s3`.
 */
export async function* readS3Buckets(tree: TreeReader): AsyncGenerator<TreeBucket> {
  const kind = await tree.kind('s3');
  if (kind === undefined) return;
  if (kind !== 'dir') throw new DataError('S3_NOT_DIR', 's3 dump path is not a directory', { path: 's3' });
  for await (const e of tree.entries('s3')) {
    if (e.kind !== 'dir') {
      if (e.name.startsWith('_')) continue;
      throw new DataError('S3_ENCODE_NOT_REGULAR', `s3 dump file is not a regular file: s3/${e.name} is not a directory; top-level entries under s3/ must be bucket directories`, { path: `s3/${e.name}` });
    }
    const bucket = await readBucket(tree, e.name);
    const dir = `s3/${e.name}`;
    yield {
      dir,
      bucket,
      async *objects(accept) {
        const scope = Buffer.from(bucket.name, 'utf8');
        yield *
          walk(
            tree,
            dir,
            undefined,
            await loadBucketKeymap(tree, dir),
            accept === undefined ? undefined : (key) => accept({ scope, key }),
          );
      },
    };
  }
}

export async function encodeS3(ctx: EncodeContext): Promise<void> {
  for await (const b of readS3Buckets(ctx.tree)) {
    const pub = b.bucket;
    const bucketBytes = Buffer.from(pub.name, 'utf8');
    await ctx.emit(bucketMetaKey(bucketBytes), renderLiveBucketMeta(pub.name, RESTORE_GENERATION, pub));
    const gen = Buffer.alloc(8);
    gen.writeBigUInt64BE(RESTORE_GENERATION);
    await ctx.emit(bucketGenKey(bucketBytes), gen);
    for await (const obj of b.objects()) {
      const sizes: bigint[] = [];
      const upload = Buffer.from(RESTORE_UPLOAD_ID);
      const chunkKey = (): Buffer =>
        blobKey(bucketBytes, RESTORE_GENERATION, obj.key, upload, RESTORE_PART, BigInt(sizes.length));
      // Bodies in exact 1 MiB chunks (the last shorter); a large body's chunks are emitted by reference.
      const body = await obj.body();
      if (Buffer.isBuffer(body)) {
        for (let at = 0; at < body.length; at += CHUNK_SIZE) {
          const chunk = body.subarray(at, at + CHUNK_SIZE);
          await ctx.emit(chunkKey(), chunk);
          sizes.push(BigInt(chunk.length));
        }
      } else {
        for (let at = 0; at < body.size; at += CHUNK_SIZE) {
          const n = Math.min(CHUNK_SIZE, body.size - at);
          await ctx.emitFile(chunkKey(), NO_HEAD, body, at, n);
          sizes.push(BigInt(n));
        }
      }
      await ctx.emit(
        manifestKey(bucketBytes, RESTORE_GENERATION, obj.key),
        renderLiveManifest(RESTORE_UPLOAD_ID, obj.meta, sizes),
      );
    }
  }
}
