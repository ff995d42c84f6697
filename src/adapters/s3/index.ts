// The S3 adapter: key layouts (keys.ts), values and sidecars (records.ts), chunk scratch storage
// (chunk-store.ts), decode.ts and encode.ts.

import { DataError } from '../../errors.ts';
import type { Adapter } from '../adapter.ts';
import { predictS3Tree } from './predict.ts';
import { S3_FILTER } from './filter.ts';
import { S3Decoder } from './decode.ts';
import { encodeS3 } from './encode.ts';
import { S3_INTERNAL_PREFIXES, S3_ROUTES, type S3Kind } from './routes.ts';
import { S3_OPTIONS } from './options.ts';

/** The S3 adapter: buckets and objects reassembled from their chunks, with metadata sidecars. */
export const s3Adapter: Adapter<'s3', S3Kind> = {
  name: 's3',
  routes: S3_ROUTES,
  internalPrefixes: S3_INTERNAL_PREFIXES,
  filter: S3_FILTER,
  options: S3_OPTIONS,
  createDecoder: (ctx) => new S3Decoder(ctx),
  predictTree: predictS3Tree,
  checkEncodable(switches) {
    // `_orphans/` holds chunks of dead generations and `_incomplete_uploads/` raw upload rows whose chunks
    // are not in the dump: neither is live data a restore can recreate (the reference refuses both too).
    if (switches.includeIncompleteUploads) {
      throw new DataError('S3_UNENCODABLE_MODE', 'S3 include_incomplete_uploads not supported by encoder: in-flight uploads are dumped without their chunks and cannot be restored; re-decode without --include-incomplete-uploads, or encode with --adapter excluding s3');
    }
    if (switches.includeOrphans) {
      throw new DataError('S3_UNENCODABLE_MODE', 'S3 include_orphans not supported by encoder: orphaned chunks belong to no live object; re-decode without --include-orphans, or encode with --adapter excluding s3');
    }
  },
  encode: encodeS3,
};
