// `export s3`: the objects of a tree's buckets into an S3-compatible store (--to s3://bucket[/prefix] | s3://).

import { S3_FLAGS, s3OptionsFromFlags } from '../../offload/s3-flags.ts';
import { makeS3Client } from '../../offload/s3-store.ts';
import { liveTarget, type ExportTarget } from '../target.ts';
import { exportS3, parseS3Target } from './export.ts';

export const S3_EXPORT: ExportTarget = {
  adapter: 's3',
  usage: `  s3      --to s3://bucket[/prefix]   uploads every object of the tree's one bucket (pick it with --include
                                      s3:bucket=NAME) under the prefix, with its content type, encoding, cache
                                      control, disposition and user metadata (multipart above 8 MiB)
          --to s3://                  each bucket's objects into the existing bucket of the same name
          (--s3-endpoint, --s3-region, --s3-profile, --s3-path-style, --s3-sse as for offload; credentials from
          the standard AWS chain)`,
  flags: S3_FLAGS,
  plan(run) {
    const to = liveTarget(run, 's3', 's3://bucket[/prefix]');
    const target = parseS3Target(to);
    const s3 = s3OptionsFromFlags(run.flags);
    return {
      kind: 's3',
      destination: to,
      async run(tree, report, onProgress) {
        await exportS3({
          tree,
          target,
          client: run.dryRun ? undefined : makeS3Client(s3),
          sse: s3.sse,
          kmsKeyId: s3.kmsKeyId,
          report,
          onProgress,
          ...(s3.elastickv === true ? { objectsInFlight: 1 } : {}),
          ...(run.filter !== undefined ? { filter: run.filter } : {}),
        });
      },
    };
  },
};
