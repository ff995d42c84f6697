// S3 values and dump files (elastickv: internal/backup/s3.go, encode_s3.go, encode_s3_objects.go).
//
// Live values are plain Go json.Marshal output (no magic): bucket metadata and object manifests. The dump has
// `_bucket.json` and, next to each object body, `<body>.elastickv-meta.json`: json.MarshalIndent, HTML escaping
// on, no trailing newline. `last_modified` is the manifest's HLC (milliseconds << 16) as RFC 3339 in UTC.

import { GoBytes, GoMap, goMarshal } from '../../json/go-json.ts';
import { JsonObject, JsonTypeError, readArray, readBool, readInt, readString, readUint, type JsonValue } from '../../json/go-json-read.ts';
import { formatRfc3339Nano } from '../../tree/wall-time.ts';

const HLC_LOGICAL_BITS = 16n;

export interface LiveBucketMeta {
  readonly generation: bigint;
  readonly owner: string;
  readonly region: string;
  readonly acl: string;
}

interface LivePart {
  readonly partNo: bigint;
  readonly chunkCount: bigint;
  readonly chunkSizes: bigint[];
  readonly partVersion: bigint;
  readonly chunkRefVersion: bigint;
  readonly offloaded: boolean;
}

/** The object metadata the dump carries (s3PublicManifest); userMetadata undefined for a nil map. */
export interface ObjectMeta {
  readonly etag: string;
  readonly sizeBytes: bigint;
  readonly lastModified: string;
  readonly contentType: string;
  readonly contentEncoding: string;
  readonly cacheControl: string;
  readonly contentDisposition: string;
  readonly userMetadata: ReadonlyMap<string, string> | undefined;
}

export interface LiveManifest extends ObjectMeta {
  readonly uploadId: string;
  readonly parts: LivePart[];
}

function object(v: JsonValue, what: string): JsonObject {
  if (!(v instanceof JsonObject)) throw new JsonTypeError(`${what}: not a JSON object`);
  return v;
}

function stringMap(v: JsonValue | undefined, field: string): Map<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  const o = object(v, field);
  const out = new Map<string, string>();
  for (const [k, e] of o.entries) {
    out.delete(k);
    out.set(k, readString(e, `${field}.${k}`));
  }
  return out;
}

export function parseLiveBucketMeta(v: JsonValue): LiveBucketMeta {
  const o = object(v, 'bucket meta');
  return {
    generation: readUint(o.field('generation'), 'generation'),
    owner: readString(o.field('owner'), 'owner'),
    region: readString(o.field('region'), 'region'),
    acl: readString(o.field('acl'), 'acl'),
  };
}

/** "2026-04-29T15:42:11.094Z" from an HLC; empty for 0. */
export function hlcToRfc3339(hlc: bigint): string {
  if (hlc === 0n) return '';
  return formatRfc3339Nano(new Date(Number(hlc >> HLC_LOGICAL_BITS)));
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** parseRFC3339NanoAsHLC: milliseconds since the epoch << 16; 0 for empty, unparsable or negative times. */
export function rfc3339ToHlc(s: string): bigint {
  const m = RFC3339.exec(s);
  if (m === null) return 0n;
  const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i])) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate() || h > 23 || mi > 59 || se > 59)
    return 0n;
  let ms = Date.UTC(y, mo - 1, d, h, mi, se);
  if (y < 100) ms = new Date(ms).setUTCFullYear(y);
  ms += Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000 + 1e-9);
  if (m[9] !== undefined) {
    const off = (Number(m[10]) * 60 + Number(m[11])) * 60_000;
    if (Number(m[10]) > 23 || Number(m[11]) > 59) return 0n;
    ms -= m[9] === '+' ? off : -off;
  }
  if (ms < 0) return 0n;
  return BigInt(ms) << HLC_LOGICAL_BITS;
}

export function parseLiveManifest(v: JsonValue): LiveManifest {
  const o = object(v, 'manifest');
  const parts = (readArray(o.field('parts'), 'parts') ?? []).map((p, i) => {
    const po = object(p, `parts[${i}]`);
    return {
      partNo: readUint(po.field('part_no'), 'part_no'),
      chunkCount: readUint(po.field('chunk_count'), 'chunk_count'),
      chunkSizes: (readArray(po.field('chunk_sizes'), 'chunk_sizes') ?? []).map((s) => readUint(s, 'chunk_sizes')),
      partVersion: readUint(po.field('part_version'), 'part_version'),
      chunkRefVersion: readUint(po.field('chunk_ref_version'), 'chunk_ref_version'),
      offloaded: readBool(po.field('offloaded'), 'offloaded'),
    };
  });
  // Fields the dump does not carry are still type-checked, as Go's decoder does.
  for (const p of readArray(o.field('parts'), 'parts') ?? []) {
    const po = object(p, 'part');
    readString(po.field('etag'), 'etag');
    readInt(po.field('size_bytes'), 'size_bytes');
  }
  return {
    uploadId: readString(o.field('upload_id'), 'upload_id'),
    etag: readString(o.field('etag'), 'etag'),
    sizeBytes: readInt(o.field('size_bytes'), 'size_bytes'),
    lastModified: hlcToRfc3339(readUint(o.field('last_modified_hlc'), 'last_modified_hlc')),
    contentType: readString(o.field('content_type'), 'content_type'),
    contentEncoding: readString(o.field('content_encoding'), 'content_encoding'),
    cacheControl: readString(o.field('cache_control'), 'cache_control'),
    contentDisposition: readString(o.field('content_disposition'), 'content_disposition'),
    userMetadata: stringMap(o.field('user_metadata'), 'user_metadata'),
    parts,
  };
}

const omitEmpty = (s: string): string | undefined => (s === '' ? undefined : s);

export function renderBucketJson(name: Uint8Array, meta: LiveBucketMeta): string {
  return goMarshal(
    {
      format_version: 1n,
      name: new GoBytes(name),
      owner: omitEmpty(meta.owner),
      region: omitEmpty(meta.region),
      acl: omitEmpty(meta.acl),
    },
    { escapeHTML: true, indent: true },
  );
}

export function renderObjectSidecar(m: ObjectMeta): string {
  return goMarshal(
    {
      format_version: 1n,
      etag: omitEmpty(m.etag),
      size_bytes: m.sizeBytes,
      last_modified: omitEmpty(m.lastModified),
      content_type: omitEmpty(m.contentType),
      content_encoding: omitEmpty(m.contentEncoding),
      cache_control: omitEmpty(m.cacheControl),
      content_disposition: omitEmpty(m.contentDisposition),
      user_metadata: m.userMetadata === undefined || m.userMetadata.size === 0 ? undefined : new GoMap(m.userMetadata),
    },
    { escapeHTML: true, indent: true },
  );
}

export interface PublicBucket {
  readonly formatVersion: bigint;
  readonly name: string;
  readonly owner: string;
  readonly region: string;
  readonly acl: string;
}

export function parseBucketJson(v: JsonValue): PublicBucket {
  const o = object(v, '_bucket.json');
  // creation_time_iso, versioning and policy_json are read (and type-checked) but not restored, as in the reference.
  for (const f of ['creation_time_iso', 'versioning', 'policy_json']) readString(o.field(f), f);
  return {
    formatVersion: readUint(o.field('format_version'), 'format_version', 32),
    name: readString(o.field('name'), 'name'),
    owner: readString(o.field('owner'), 'owner'),
    region: readString(o.field('region'), 'region'),
    acl: readString(o.field('acl'), 'acl'),
  };
}

export function parseObjectSidecar(v: JsonValue): ObjectMeta & { readonly formatVersion: bigint } {
  const o = object(v, 'sidecar');
  return {
    formatVersion: readUint(o.field('format_version'), 'format_version', 32),
    etag: readString(o.field('etag'), 'etag'),
    sizeBytes: readInt(o.field('size_bytes'), 'size_bytes'),
    lastModified: readString(o.field('last_modified'), 'last_modified'),
    contentType: readString(o.field('content_type'), 'content_type'),
    contentEncoding: readString(o.field('content_encoding'), 'content_encoding'),
    cacheControl: readString(o.field('cache_control'), 'cache_control'),
    contentDisposition: readString(o.field('content_disposition'), 'content_disposition'),
    userMetadata: stringMap(o.field('user_metadata'), 'user_metadata'),
  };
}

/** The live bucket metadata the encoder writes (s3LiveBucketMeta, json.Marshal). */
export function renderLiveBucketMeta(name: string, generation: bigint, b: PublicBucket): Buffer {
  return Buffer.from(
    goMarshal(
      { bucket_name: name, generation, created_at_hlc: 0n, owner: b.owner, region: b.region, acl: b.acl },
      { escapeHTML: true, indent: false },
    ),
    'utf8',
  );
}

/** The live manifest the encoder writes: one part of the re-chunked body, or `"parts":null` for an empty object. */
export function renderLiveManifest(uploadId: string, m: ObjectMeta, chunkSizes: readonly bigint[]): Buffer {
  const parts =
    chunkSizes.length === 0
      ? null
      : [
          {
            part_no: 1n,
            etag: m.etag,
            size_bytes: m.sizeBytes,
            chunk_count: BigInt(chunkSizes.length),
            chunk_sizes: [...chunkSizes],
            part_version: 0n,
            chunk_ref_version: 0n,
            offloaded: false,
          },
        ];
  return Buffer.from(
    goMarshal(
      {
        upload_id: uploadId,
        etag: m.etag,
        size_bytes: m.sizeBytes,
        last_modified_hlc: rfc3339ToHlc(m.lastModified),
        content_type: m.contentType,
        content_encoding: m.contentEncoding,
        cache_control: m.cacheControl,
        content_disposition: m.contentDisposition,
        user_metadata: m.userMetadata === undefined ? null : new GoMap(m.userMetadata),
        parts,
      },
      { escapeHTML: true, indent: false },
    ),
    'utf8',
  );
}
