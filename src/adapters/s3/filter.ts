// What record filters see of an S3 row: the bucket, and the object key where the row names one. Content-
// addressed chunk blobs name neither; the decoder keeps only those a kept object references.

import { everyKindHandled, type FilterVocabulary, type RowScope } from '../adapter.ts';
import { BLOB_PREFIX, CHUNK_REF_PREFIX, parseBucketMetaKey, parseChunkKey, parseManifestKey, parseUploadBucket, UPLOAD_META_PREFIX, UPLOAD_PART_PREFIX } from './keys.ts';
import { S3_KIND, type S3Kind } from './routes.ts';

export const S3_FILTER: FilterVocabulary<S3Kind> = {
  scopeField: 'bucket',
  keyed: true,
  rowScope(kind, key): RowScope | undefined {
    switch (kind) {
      case S3_KIND.bucketMeta: {
        const bucket = parseBucketMetaKey(key);
        return bucket === undefined ? undefined : { scope: bucket };
      }
      case S3_KIND.manifest: {
        const ref = parseManifestKey(key);
        return ref === undefined ? undefined : { scope: ref.bucket, key: ref.object };
      }
      case S3_KIND.blob:
      case S3_KIND.chunkRef: {
        const ref = parseChunkKey(key, kind === S3_KIND.blob ? BLOB_PREFIX : CHUNK_REF_PREFIX);
        return ref === undefined ? undefined : { scope: ref.bucket, key: ref.object };
      }
      case S3_KIND.uploadMeta:
      case S3_KIND.uploadPart: {
        const bucket = parseUploadBucket(key, kind === S3_KIND.uploadMeta ? UPLOAD_META_PREFIX : UPLOAD_PART_PREFIX);
        return bucket === undefined ? undefined : { scope: bucket };
      }
      case S3_KIND.chunkBlob:
        return {};
    }
    return everyKindHandled(kind);
  },
};
