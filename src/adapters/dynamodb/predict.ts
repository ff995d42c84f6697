// What a DynamoDB decode writes (per-item layout, the default), predicted from inspect's counts: one _schema.json
// per table and one JSON file per item (its attributes as DynamoDB JSON, about its stored value bytes plus 65
// bytes, measured on bench's mixed workload). GSI rows are derived and write nothing.

import type { KindCounts, TreeCounts, TreePrediction } from '../adapter.ts';

const NONE: KindCounts = { entries: 0, keyBytes: 0, valueBytes: 0 };

/** Predicts the dynamodb/ subtree. */
export function predictDynamoTree(c: TreeCounts): TreePrediction {
  const items = c.kinds.get('item') ?? NONE;
  const tables = c.kinds.get('table-meta') ?? NONE;
  return {
    files: items.entries + tables.entries,
    filesExact: true,
    bytes: items.valueBytes + 65 * items.entries + 2 * tables.valueBytes,
    scratchBytes: items.keyBytes + items.valueBytes,
  };
}
