// The S3 prefixes the dispatcher routes to this adapter (core.md §2.3), and those of the generation counter, GC
// and route rows, which it counts as internal.

import type { RouteSpec } from '../adapter.ts';
import { BLOB_PREFIX, BUCKET_GEN_PREFIX, BUCKET_META_PREFIX, CHUNK_BLOB_PREFIX, CHUNK_REF_PREFIX, OBJECT_MANIFEST_PREFIX, GC_UPLOAD_PREFIX, ROUTE_PREFIX, UPLOAD_META_PREFIX, UPLOAD_PART_PREFIX } from './keys.ts';

export const S3_KIND = {
  bucketMeta: 'bucket-meta',
  manifest: 'manifest',
  blob: 'blob',
  chunkBlob: 'chunkblob',
  chunkRef: 'chunkref',
  uploadMeta: 'upload-meta',
  uploadPart: 'upload-part',
} as const;

/** The name of an S3 route's handler. */
export type S3Kind = (typeof S3_KIND)[keyof typeof S3_KIND];

export const S3_ROUTES: readonly RouteSpec<S3Kind>[] = [
  { prefix: BUCKET_META_PREFIX, kind: S3_KIND.bucketMeta },
  { prefix: OBJECT_MANIFEST_PREFIX, kind: S3_KIND.manifest },
  { prefix: BLOB_PREFIX, kind: S3_KIND.blob },
  { prefix: CHUNK_BLOB_PREFIX, kind: S3_KIND.chunkBlob },
  { prefix: CHUNK_REF_PREFIX, kind: S3_KIND.chunkRef },
  { prefix: UPLOAD_META_PREFIX, kind: S3_KIND.uploadMeta },
  { prefix: UPLOAD_PART_PREFIX, kind: S3_KIND.uploadPart },
];

/** S3 bookkeeping rows that are never decoded: bucket generation counters, upload GC and the route catalog. */
export const S3_INTERNAL_PREFIXES: readonly RouteSpec[] = [
  { prefix: BUCKET_GEN_PREFIX, kind: 's3-bucket-generation' },
  { prefix: GC_UPLOAD_PREFIX, kind: 's3-upload-gc' },
  { prefix: ROUTE_PREFIX, kind: 's3-route' },
];
