// What an S3 decode writes (default switches: no incomplete uploads or orphans), predicted from inspect's counts:
// per bucket a _bucket.json, per object its body (the chunk bytes as they are) and a .elastickv-meta.json sidecar
// about the size of its manifest row. Not predictable from counts: a KEYMAP.jsonl per bucket for renamed names.
// Chunks wait in scratch until their object's manifest is seen.

import type { KindCounts, TreeCounts, TreePrediction } from '../adapter.ts';

const NONE: KindCounts = { entries: 0, keyBytes: 0, valueBytes: 0 };

/** Predicts the s3/ subtree. */
export function predictS3Tree(c: TreeCounts): TreePrediction {
  const objects = c.kinds.get('manifest') ?? NONE;
  const buckets = c.kinds.get('bucket-meta') ?? NONE;
  const blobs = c.kinds.get('blob') ?? NONE;
  return {
    files: 2 * objects.entries + buckets.entries,
    filesExact: false,
    bytes: blobs.valueBytes + objects.valueBytes + buckets.valueBytes,
    scratchBytes: blobs.valueBytes,
  };
}
