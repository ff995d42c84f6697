// Decoding S3 rows into `s3/<bucket>/` (elastickv: internal/backup/s3.go, S3Encoder).
//
// Snapshot order puts chunks first (`!s3|blob|` < `!s3|bucket|meta|` < `!s3|chunkblob|` < `!s3|chunkref|` <
// `!s3|obj|head|` < `!s3|upload|…`), so chunk bytes are stored as they arrive and only their locations are kept. The
// blob chunks of an object arrive together and, for an object uploaded once, in assembly order: where the tree writer
// has provisional files (a directory on disk), they are appended to a provisional file of the object's body, digested
// on the way, and at the end that file becomes the body by a rename when the object's assembled chunks are exactly the
// ones it holds, in order. Every other chunk (out of order, a second row of a key, chunkblobs) goes to a scratch chunk
// store, and a body that is not exactly its provisional file is copied together from wherever its chunks lie, as is
// every body for the other writers. At the end each bucket writes `_bucket.json`; each object of the live generation
// with a manifest is reassembled from its declared parts (blob chunks, and content-addressed chunks through chunk
// references, with completeness, size and hash checks) at its path, next to `<path>.elastickv-meta.json`. The path is
// the key unless tree-names.ts maps it (folder markers and empty segments, the reserved suffix with
// --rename-collisions, file-versus-directory keys, names too long for a file system); each mapping is recorded in the
// bucket's KEYMAP.jsonl. Objects of other generations and chunks without a manifest are reported, and written under
// `_orphans/` with --include-orphans; upload rows go to `_incomplete_uploads/records.jsonl` with
// --include-incomplete-uploads.

import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { encodeStdBase64 } from '../../bytes/base64-std.ts';
import { asError, DataError, quoteBytes } from '../../errors.ts';
import { goEncodeLine } from '../../json/go-json.ts';
import { JsonSyntaxError, JsonTypeError, parseJsonBytes } from '../../json/go-json-read.ts';
import { KeymapWriter } from '../../tree/keymap.ts';
import { encodeSegment, NAME_MAX_BYTES, shaFallback } from '../../tree/segment.ts';
import type { FileSink, ProvisionalFile } from '../../tree/writer.ts';
import { everyKindHandled, type AdapterDecoder, type DecodeContext } from '../adapter.ts';
import { ChunkStore, COPY_BLOCK, copyChunks, readChunk, type ChunkLocation } from './chunk-store.ts';
import {
  BLOB_PREFIX,
  CHUNK_REF_PREFIX,
  decodeChunkRefValue,
  manifestKey,
  parseBucketMetaKey,
  parseChunkBlobKey,
  parseChunkKey,
  parseManifestKey,
  parseUploadBucket,
  type ChunkRef,
  type ChunkRefValue,
} from './keys.ts';
import { parseLiveBucketMeta, parseLiveManifest, renderBucketJson, renderObjectSidecar, type LiveBucketMeta, type LiveManifest } from './records.ts';
import { S3_KIND, type S3Kind } from './routes.ts';
import { META_SUFFIX, planTreeNames, type TreeName } from './tree-names.ts';

/** A chunk's identity: its row key's upload, part, chunk and part version, and whether it is a chunk reference. */
interface ChunkKey {
  readonly uploadId: Buffer;
  readonly partNo: bigint;
  readonly chunkNo: bigint;
  readonly partVersion: bigint;
  readonly offloaded: boolean;
}

interface Chunk extends ChunkKey {
  readonly loc: ChunkLocation;
}

/**
 * A chunk with its location, built field by field: every chunk then shares one hidden class (a spread with an added
 * property gave each chunk a map of its own, some 300 bytes of every object held until the end).
 */
const located = (c: ChunkKey, loc: ChunkLocation): Chunk => ({
  uploadId: c.uploadId,
  partNo: c.partNo,
  chunkNo: c.chunkNo,
  partVersion: c.partVersion,
  offloaded: c.offloaded,
  loc,
});

interface DeclaredPart {
  readonly chunkCount: bigint;
  readonly chunkSizes: readonly bigint[];
}

/** The provisional file of an object's body and the chunks it holds, in order from its start. */
interface ProvisionalBody {
  readonly file: ProvisionalFile;
  readonly chunks: Chunk[];
}

/**
 * What finalize needs of an object's manifest row, taken when the row arrives: the upload and size its body is
 * checked against, its declared parts, and its sidecar already rendered. The parsed manifest is not kept (its
 * strings are slices of the row's JSON text, which they would keep alive: every object is held until the end).
 */
interface ManifestSummary {
  readonly uploadId: Buffer;
  readonly sizeBytes: bigint;
  readonly declared: Map<string, DeclaredPart>;
  /** The sidecar's bytes (its text would be a chain of concatenations holding on to slices of the row). */
  readonly sidecar: Buffer;
}

/** An object's blob chunks by identity, the latest row of an identity winning; the usual one chunk needs no map. */
class ChunkSet {
  #one: Chunk | undefined;
  #byId: Map<string, Chunk> | undefined;

  get size(): number {
    return this.#byId?.size ?? (this.#one === undefined ? 0 : 1);
  }

  set(c: Chunk): void {
    if (this.#byId === undefined) {
      if (this.#one === undefined) {
        this.#one = c;
        return;
      }
      this.#byId = new Map([[chunkId(this.#one), this.#one]]);
      this.#one = undefined;
    }
    this.#byId.set(chunkId(c), c);
  }

  /** The chunks in the order their identities first arrived. */
  values(): Iterable<Chunk> {
    return this.#byId?.values() ?? (this.#one === undefined ? [] : [this.#one]);
  }
}

interface ObjectState {
  readonly object: Buffer;
  readonly generation: bigint;
  manifest: ManifestSummary | undefined;
  readonly chunks: ChunkSet;
  /** Chunk references by identity (the latest row of a key wins); none for most objects. */
  refs: Map<string, { readonly chunk: ChunkKey; readonly ref: ChunkRefValue }> | undefined;
  /** Where its first blob chunks went, when the tree writer has provisional files. */
  provisional: ProvisionalBody | undefined;
}

interface BucketState {
  readonly name: Buffer;
  meta: LiveBucketMeta | undefined;
  readonly objects: Map<string, ObjectState>;
  incomplete: FileSink | undefined;
}

/**
 * An object gets a provisional file when its first blob chunk is at least this large: for smaller bodies creating,
 * closing and renaming a file of their own cost more than the copy they save (measured on objects of 1-16 KiB:
 * 30% more CPU).
 */
const PROVISIONAL_MIN_CHUNK = 256 * 1024;

const partId = (partNo: bigint, partVersion: bigint, offloaded: boolean): string => `${partNo}|${partVersion}|${offloaded ? 1 : 0}`;
const chunkId = (c: ChunkKey): string => `${c.uploadId.toString('hex')}|${partId(c.partNo, c.partVersion, c.offloaded)}|${c.chunkNo}`;
const hex16 = (n: bigint): string => n.toString(16).padStart(16, '0');

const malformed = (why: string, key?: Uint8Array): DataError => new DataError('S3_MALFORMED_KEY', `malformed S3 key: ${why}`, key === undefined ? {} : { key });

function compareChunks(a: ChunkKey, b: ChunkKey): number {
  if (a.partNo !== b.partNo) return a.partNo < b.partNo ? -1 : 1;
  if (a.partVersion !== b.partVersion) return a.partVersion < b.partVersion ? -1 : 1;
  if (a.offloaded !== b.offloaded) return a.offloaded ? 1 : -1;
  if (a.chunkNo !== b.chunkNo) return a.chunkNo < b.chunkNo ? -1 : 1;
  return 0;
}

export class S3Decoder implements AdapterDecoder<S3Kind> {
  readonly #ctx: DecodeContext;
  readonly #buckets = new Map<string, BucketState>();
  readonly #chunkBlobs = new Map<string, ChunkLocation>();
  #store: ChunkStore | undefined;
  #copyBlock: Buffer | undefined;
  /** The object whose provisional file blob chunks are appended to, while they arrive in assembly order. */
  #appending: ObjectState | undefined;
  /** The last upload id seen: objects uploaded the same way share one copy of it. */
  #lastUploadId: Buffer | undefined;

  constructor(ctx: DecodeContext) {
    this.#ctx = ctx;
  }

  #bucket(name: Buffer): BucketState {
    const id = name.toString('latin1');
    let b = this.#buckets.get(id);
    if (b === undefined) {
      b = { name, meta: undefined, objects: new Map(), incomplete: undefined };
      this.#buckets.set(id, b);
    }
    return b;
  }

  #object(bucket: Buffer, generation: bigint, object: Buffer): ObjectState {
    const b = this.#bucket(bucket);
    const id = `${object.toString('latin1')}\u0000${hex16(generation)}`;
    let o = b.objects.get(id);
    if (o === undefined) {
      o = { object, generation, manifest: undefined, chunks: new ChunkSet(), refs: undefined, provisional: undefined };
      b.objects.set(id, o);
    }
    return o;
  }

  get #chunkStore(): ChunkStore {
    this.#store ??= new ChunkStore(this.#ctx.scratchDir);
    return this.#store;
  }

  async handle(kind: S3Kind, key: Uint8Array, value: Uint8Array): Promise<void> {
    switch (kind) {
      case S3_KIND.bucketMeta:
        this.#bucketMeta(key, value);
        return;
      case S3_KIND.manifest:
        this.#manifest(key, value);
        return;
      case S3_KIND.blob:
        return this.#blob(key, value);
      case S3_KIND.chunkBlob:
        this.#chunkBlob(key, value);
        return;
      case S3_KIND.chunkRef:
        this.#chunkRef(key, value);
        return;
      case S3_KIND.uploadMeta:
      case S3_KIND.uploadPart:
        return this.#upload(kind === S3_KIND.uploadMeta ? '!s3|upload|meta|' : '!s3|upload|part|', key, value);
    }
    return everyKindHandled(kind);
  }

  #bucketMeta(key: Uint8Array, value: Uint8Array): void {
    const name = parseBucketMetaKey(key);
    if (name === undefined) throw malformed('bucket meta key', key);
    // _bucket.json names the bucket as a JSON string, and the encoder checks that name against the directory: a name
    // that is not UTF-8 (damage: S3 bucket names are ASCII) would decode into a tree that does not come back.
    if (!isUtf8(name)) throw malformed('bucket name is not valid UTF-8', key);
    let meta: LiveBucketMeta;
    try {
      meta = parseLiveBucketMeta(parseJsonBytes(value));
    } catch (err) {
      if (err instanceof JsonSyntaxError || err instanceof JsonTypeError) throw new DataError('S3_INVALID_BUCKET_META', `invalid !s3|bucket|meta value: ${err.message}`, { key });
      throw err;
    }
    this.#bucket(name).meta = meta;
  }

  #manifest(key: Uint8Array, value: Uint8Array): void {
    const ref = parseManifestKey(key);
    if (ref === undefined) throw malformed('manifest key', key);
    let m: LiveManifest;
    try {
      m = parseLiveManifest(parseJsonBytes(value));
    } catch (err) {
      if (err instanceof JsonSyntaxError || err instanceof JsonTypeError) throw new DataError('S3_INVALID_MANIFEST', `invalid !s3|obj|head value: ${err.message}`, { key });
      throw err;
    }
    const declared = new Map<string, DeclaredPart>();
    for (const p of m.parts) {
      let version = p.partVersion;
      if (p.offloaded) {
        if (BigInt(p.chunkSizes.length) !== p.chunkCount) {
          throw new DataError('S3_INVALID_MANIFEST', `invalid !s3|obj|head value: offloaded part ${p.partNo} declares ${p.chunkCount} chunks but has ${p.chunkSizes.length} chunk sizes`, { key });
        }
        version = p.chunkRefVersion;
      }
      declared.set(partId(p.partNo, version, p.offloaded), { chunkCount: p.chunkCount, chunkSizes: p.chunkSizes });
    }
    this.#object(ref.bucket, ref.generation, ref.object).manifest = {
      uploadId: this.#shared(Buffer.from(m.uploadId, 'utf8')),
      sizeBytes: m.sizeBytes,
      declared,
      sidecar: Buffer.from(renderObjectSidecar(m), 'utf8'),
    };
  }

  /** The identity of a `!s3|blob|` (offloaded false) or `!s3|chunkref|` (true) row's chunk. */
  #chunkKey(c: ChunkRef, offloaded: boolean): ChunkKey {
    const { partNo, chunkNo, partVersion } = c;
    return { uploadId: this.#shared(c.uploadId), partNo, chunkNo, partVersion, offloaded };
  }

  /** `id`, or the equal upload id seen last. */
  #shared(id: Buffer): Buffer {
    const last = this.#lastUploadId;
    if (last !== undefined && last.equals(id)) return last;
    this.#lastUploadId = id;
    return id;
  }

  #blob(key: Uint8Array, value: Uint8Array): void | Promise<void> {
    const c = parseChunkKey(key, BLOB_PREFIX);
    if (c === undefined) throw malformed('blob key', key);
    for (const seg of [c.bucket, c.object]) {
      const s = seg.toString('latin1');
      if (s === '.' || s === '..') throw malformed(`bucket or object key ${JSON.stringify(s)} is a dot segment (would escape scratch root)`, key);
      if (s === '') throw malformed('bucket or object key is empty (cannot construct scratch path)', key);
    }
    const chunk = this.#chunkKey(c, false);
    const o = this.#object(c.bucket, c.generation, c.object);
    // Small objects take the synchronous path: no promise per row.
    if (this.#appending !== undefined && !this.#continues(o, chunk)) {
      return this.#stopAppending().then(() => this.#place(o, chunk, value));
    }
    return this.#place(o, chunk, value);
  }

  /** Whether a blob chunk of `o` continues the provisional file being appended to (see #place). */
  #continues(o: ObjectState, chunk: ChunkKey): boolean {
    if (this.#appending !== o) return false;
    const p = o.provisional as ProvisionalBody;
    const last = p.chunks[p.chunks.length - 1] as Chunk;
    return last.uploadId.equals(chunk.uploadId) && compareChunks(last, chunk) < 0;
  }

  /**
   * Stores a blob chunk of `o`: appended to the object's provisional file while its chunks arrive in assembly order
   * (one upload, each chunk after the last; a new file for an object's first chunk), else (the order broke, the
   * object's chunks were interrupted by another's, its first chunk is smaller than PROVISIONAL_MIN_CHUNK, the tree
   * writer has no provisional files) in the scratch store. The file being appended to is sealed before another
   * object's chunk, or an out-of-order one, is stored.
   */
  #place(o: ObjectState, chunk: ChunkKey, value: Uint8Array): void | Promise<void> {
    let p = this.#appending === o ? o.provisional : undefined;
    const start = this.#ctx.tree.provisional;
    const first = o.provisional === undefined && o.chunks.size === 0;
    if (p === undefined && first && value.length >= PROVISIONAL_MIN_CHUNK && start !== undefined) {
      p = o.provisional = { file: start(), chunks: [] };
      this.#appending = o;
    }
    if (p === undefined) {
      o.chunks.set(located(chunk, this.#chunkStore.append(value)));
      return undefined;
    }
    const placed = located(chunk, { source: p.file, offset: p.file.bytes, length: value.length });
    p.chunks.push(placed);
    o.chunks.set(placed);
    return p.file.append(value);
  }

  async #stopAppending(): Promise<void> {
    const o = this.#appending;
    this.#appending = undefined;
    await o?.provisional?.file.seal();
  }

  #chunkBlob(key: Uint8Array, value: Uint8Array): void {
    const digest = parseChunkBlobKey(key);
    if (digest === undefined) throw malformed('chunkblob key', key);
    const actual = createHash('sha256').update(value).digest();
    if (!actual.equals(digest)) {
      throw new DataError('S3_CHUNKBLOB_HASH_MISMATCH', `S3 chunkblob hash mismatch: key digest=${digest.toString('hex')} actual=${actual.toString('hex')}`, { key });
    }
    this.#chunkBlobs.set(digest.toString('hex'), this.#chunkStore.append(value));
  }

  #chunkRef(key: Uint8Array, value: Uint8Array): void {
    const c = parseChunkKey(key, CHUNK_REF_PREFIX);
    if (c === undefined) throw malformed('chunkref key', key);
    const ref = decodeChunkRefValue(value);
    if (ref === undefined) throw new DataError('S3_INVALID_CHUNK_REF', 'invalid S3 chunk reference', { key });
    const chunk = this.#chunkKey(c, true);
    const o = this.#object(c.bucket, c.generation, c.object);
    (o.refs ??= new Map()).set(chunkId(chunk), { chunk, ref });
  }

  async #upload(prefix: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    if (!this.#ctx.switches.includeIncompleteUploads) return;
    const bucket = parseUploadBucket(key, prefix);
    if (bucket === undefined) throw malformed('upload-family key', key);
    const s = bucket.toString('latin1');
    if (s === '.' || s === '..' || s === '') throw malformed(`bucket name ${JSON.stringify(s)} in upload-family key is empty or a dot segment`, key);
    const b = this.#bucket(bucket);
    b.incomplete ??= await this.#ctx.tree.create(`s3/${encodeSegment(bucket)}/_incomplete_uploads/records.jsonl`);
    const line = { prefix, key: encodeStdBase64(key), value: encodeStdBase64(value) };
    await b.incomplete.write(goEncodeLine(line, { escapeHTML: false, indent: false }));
  }

  async finalize(): Promise<void> {
    try {
      await this.#stopAppending();
      const buckets = [...this.#buckets.values()].sort((a, b) => Buffer.compare(a.name, b.name));
      let firstError: Error | undefined;
      for (const b of buckets) {
        try {
          await this.#flushBucket(b);
        } catch (err) {
          firstError ??= asError(err);
        }
      }
      if (firstError !== undefined) throw firstError;
    } finally {
      this.#store?.close();
      // Provisional files not adopted as bodies (damaged, stale, orphaned objects, bodies copied together) must
      // not stay in the tree.
      for (const b of this.#buckets.values()) for (const o of b.objects.values()) await o.provisional?.file.discard();
    }
  }

  async #flushBucket(b: BucketState): Promise<void> {
    const name = b.name.toString('latin1');
    if (name === '.' || name === '..' || name === '') throw malformed(`bucket name ${JSON.stringify(name)} is empty or a dot segment (would escape s3/ subtree)`);
    const dir = `s3/${encodeSegment(b.name)}`;
    const keymap = new KeymapWriter(this.#ctx.tree, `${dir}/KEYMAP.jsonl`);
    try {
      const firstObject =
        b.meta === undefined ? [...b.objects.values()].find((o) => o.manifest !== undefined) : undefined;
      if (firstObject !== undefined) {
        // Without its metadata row the bucket cannot be restored (encode needs _bucket.json): a damaged or lost
        // !s3|bucket|meta| row is refused here rather than published as a tree the encoder refuses.
        const error = new DataError('S3_BUCKET_META_MISSING', `bucket ${JSON.stringify(b.name.toString('utf8'))} has objects (${JSON.stringify(firstObject.object.toString('utf8'))} first) but no !s3|bucket|meta| row`, { key: manifestKey(b.name, firstObject.generation, firstObject.object) });
        await this.#bucketDamaged(b, dir, error);
        return;
      }
      const activeGen = b.meta?.generation ?? 0n;
      const isActive = (o: ObjectState): boolean => activeGen === 0n || o.generation === activeGen;
      const objects = [...b.objects.values()].sort(
        (x, y) =>
          Buffer.compare(x.object, y.object) ||
          (x.generation < y.generation ? -1 : x.generation > y.generation ? 1 : 0),
      );
      // Only the objects written to the tree proper take part in naming: chunks without a manifest (orphans,
      // written under _orphans/ if at all) count as directories in the reference, which renamed a sibling to
      // `<key>.elastickv-leaf-data` for an object the tree does not hold, and the tree then failed its self-test.
      // An object whose chunks do not assemble is found before naming, so that one set apart by --salvage takes
      // no part in it either.
      const placed: Buffer[] = [];
      const damaged = new Set<ObjectState>();
      for (const o of objects) {
        if (!isActive(o) || o.manifest === undefined) continue;
        if (await this.#assembles(b.name, o)) placed.push(o.object);
        else damaged.add(o);
      }
      let names: Map<string, TreeName>;
      try {
        names = planTreeNames(b.name, dir, placed, this.#ctx.switches.renameCollisions);
      } catch (err) {
        if (!(err instanceof DataError)) throw err;
        await this.#bucketDamaged(b, dir, err);
        return;
      }
      // A bucket without its metadata row holds no object here (refused above) but may hold orphan chunks: no
      // directory for it then (the encoder refuses a bucket directory without _bucket.json); --include-orphans
      // creates the _orphans/ part it writes.
      if (b.meta !== undefined) {
        await this.#ctx.tree.mkdir(dir);
        await this.#ctx.tree.writeFile(`${dir}/_bucket.json`, renderBucketJson(b.name, b.meta));
      }
      let stale = 0;
      for (const o of objects) {
        if (!isActive(o)) {
          stale++;
          if (this.#ctx.switches.includeOrphans) await this.#flushOrphan(b, dir, o);
          continue;
        }
        if (o.manifest === undefined) {
          await this.#flushOrphan(b, dir, o);
          continue;
        }
        if (damaged.has(o)) continue;
        await this.#flushObject(b.name, dir, o, names.get(o.object.toString('latin1')) as TreeName, keymap);
      }
      if (stale > 0) {
        this.#ctx.warn('s3_stale_generation_objects', {
          bucket: b.name.toString('utf8'),
          active_generation: activeGen,
          stale_count: stale,
          hint: 'stale-gen objects excluded; restore would otherwise emit them under the new bucket',
        });
      }
    } finally {
      await keymap.close();
      await b.incomplete?.close();
    }
  }

  /** Reports a bucket that cannot be written (no metadata row, clashing names) whole, with what it has written. */
  async #bucketDamaged(b: BucketState, dir: string, error: DataError): Promise<void> {
    const written = b.incomplete === undefined ? [] : [dir];
    await b.incomplete?.close();
    b.incomplete = undefined;
    await this.#ctx.damaged({ error, rows: { scope: b.name }, written });
  }

  /**
   * Whether an object's chunks assemble into its body of its declared size; when they do not, the object is
   * reported (with --salvage it is left out; nothing of it is written yet).
   */
  async #assembles(bucket: Buffer, o: ObjectState): Promise<boolean> {
    try {
      this.#bodyChunks(bucket, o);
      return true;
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      await this.#ctx.damaged({ error: err, rows: { scope: bucket, key: o.object }, written: [] });
      return false;
    }
  }

  async #flushOrphan(b: BucketState, dir: string, o: ObjectState): Promise<void> {
    this.#ctx.warn('s3_orphan_chunks', { bucket: b.name.toString('utf8'), object: o.object.toString('utf8'), chunks: o.chunks.size, hint: 'blob chunks present but no !s3|obj|head record matched' });
    if (!this.#ctx.switches.includeOrphans || o.chunks.size === 0) return;
    const k = o.object.toString('latin1');
    if (k === '.' || k === '..' || k === '') throw malformed(`orphan object key ${JSON.stringify(k)} is a dot segment (would escape orphan dir)`);
    const orphanDir = `${dir}/_orphans/${encodeSegment(o.object)}/gen-${o.generation}`;
    await this.#ctx.tree.mkdir(orphanDir);
    for (const c of o.chunks.values()) {
      const upload = encodeSegment(c.uploadId);
      // The upload id's segment may take 240 bytes and the suffix 54: past NAME_MAX_BYTES the upload id's part
      // becomes its SHA fallback (orphans are for inspection and never encoded, so no KEYMAP record is needed).
      const suffix = `_${hex16(c.partNo)}_${hex16(c.chunkNo)}_${hex16(c.partVersion)}.bin`;
      const name = `${upload.length + suffix.length > NAME_MAX_BYTES ? shaFallback(c.uploadId).slice(0, NAME_MAX_BYTES - suffix.length) : upload}${suffix}`;
      await this.#ctx.tree.writeFile(`${orphanDir}/${name}`, readChunk(c.loc));
    }
  }

  /**
   * The chunks of an object's body in assembly order, after the reference's filtering and checks (and that they
   * hold the manifest's size_bytes); an error names the bucket and the object (`assembly`) and carries the key of
   * the object's manifest row.
   */
  #bodyChunks(bucket: Buffer, o: ObjectState): Chunk[] {
    const assembly = (code: 'S3_INVALID_CHUNK_REF' | 'S3_INCOMPLETE_BLOB_CHUNKS', why: string): DataError =>
      new DataError(code, `bucket ${quoteBytes(bucket)} object ${quoteBytes(o.object)}: ${why}`, { key: manifestKey(bucket, o.generation, o.object) });
    const m = o.manifest as ManifestSummary;
    const { declared, uploadId } = m;
    const all: Chunk[] = [...o.chunks.values()];
    for (const { chunk, ref } of o.refs?.values() ?? []) {
      if (!chunk.uploadId.equals(uploadId)) continue;
      const part = declared.get(partId(chunk.partNo, chunk.partVersion, true));
      if (part === undefined) continue;
      const loc = this.#chunkBlobs.get(ref.sha256.toString('hex'));
      if (loc === undefined) continue;
      const where = `partNo=${chunk.partNo} chunkNo=${chunk.chunkNo} version=${chunk.partVersion}`;
      if (BigInt(loc.length) !== ref.size) throw assembly('S3_INVALID_CHUNK_REF', `invalid S3 chunk reference: ${where} declared size=${ref.size} actual size=${loc.length}`);
      if (chunk.chunkNo >= BigInt(part.chunkSizes.length) || part.chunkSizes[Number(chunk.chunkNo)] !== ref.size) {
        throw assembly('S3_INVALID_CHUNK_REF', `invalid S3 chunk reference: ${where} ref size=${ref.size} does not match manifest chunk size`);
      }
      all.push(located(chunk, loc));
    }
    const chunks = all.filter((c) => {
      if (uploadId.length !== 0 && !c.uploadId.equals(uploadId)) return false;
      const part = declared.get(partId(c.partNo, c.partVersion, c.offloaded));
      return part !== undefined && part.chunkCount !== 0n;
    });
    chunks.sort(compareChunks);
    const seen = new Map<string, Set<bigint>>();
    for (const c of chunks) {
      const id = partId(c.partNo, c.partVersion, c.offloaded);
      let s = seen.get(id);
      if (s === undefined) seen.set(id, (s = new Set()));
      s.add(c.chunkNo);
    }
    for (const [id, part] of declared) {
      if (part.chunkCount === 0n) continue;
      const [partNo, partVersion, off] = id.split('|');
      const where = `partNo=${partNo} partVersion=${partVersion} offloaded=${off === '1'}`;
      const s = seen.get(id) ?? new Set<bigint>();
      if (BigInt(s.size) !== part.chunkCount) {
        throw assembly('S3_INCOMPLETE_BLOB_CHUNKS', `incomplete blob chunks for manifest-declared part: ${where} declared chunks=${part.chunkCount}, observed unique=${s.size}`);
      }
      for (let i = 0n; i < part.chunkCount; i++) {
        if (!s.has(i)) throw assembly('S3_INCOMPLETE_BLOB_CHUNKS', `incomplete blob chunks for manifest-declared part: ${where} declared chunks=${part.chunkCount}, missing chunkNo=${i}`);
      }
    }
    // The sidecar records size_bytes and encode checks the body against it: a body of another length is damage.
    const size = chunks.reduce((n, c) => n + BigInt(c.loc.length), 0n);
    if (size !== m.sizeBytes) throw assembly('S3_INCOMPLETE_BLOB_CHUNKS', `its chunks hold ${size} bytes, its manifest says size_bytes ${m.sizeBytes}`);
    return chunks;
  }

  async #flushObject(
    bucket: Buffer,
    dir: string,
    o: ObjectState,
    { name, kind }: TreeName,
    keymap: KeymapWriter,
  ): Promise<void> {
    const chunks = this.#bodyChunks(bucket, o);
    const bodyRel = Buffer.concat([Buffer.from(`${dir}/`), name]);
    const slash = name.lastIndexOf(0x2f);
    if (slash > 0) await this.#ctx.tree.mkdir(Buffer.concat([Buffer.from(`${dir}/`), name.subarray(0, slash)]));
    const p = o.provisional;
    if (p !== undefined && p.chunks.length === chunks.length && p.chunks.every((c, i) => c === chunks[i])) {
      await p.file.adopt(bodyRel);
    } else {
      const sink = await this.#ctx.tree.create(bodyRel);
      try {
        this.#copyBlock ??= Buffer.allocUnsafe(COPY_BLOCK);
        copyChunks(
          chunks.map((c) => c.loc),
          sink,
          this.#copyBlock,
        );
      } finally {
        await sink.close();
      }
      await p?.file.discard();
    }
    await this.#ctx.tree.writeFile(
      Buffer.concat([bodyRel, Buffer.from(META_SUFFIX)]),
      (o.manifest as ManifestSummary).sidecar,
    );
    if (kind !== undefined) await keymap.write(name.toString('utf8'), o.object, kind);
  }
}
