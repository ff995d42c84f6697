// What an SQS decode writes (default switches), predicted from inspect's counts: per queue a _queue.json and, when
// it holds messages, a messages.jsonl (about 0.85 times the message rows' value bytes, measured on bench's mixed
// workload). Counts do not tell which queues are empty: every queue is assumed to hold messages when any does.

import type { KindCounts, TreeCounts, TreePrediction } from '../adapter.ts';

const NONE: KindCounts = { entries: 0, keyBytes: 0, valueBytes: 0 };

/** Predicts the sqs/ subtree. */
export function predictSqsTree(c: TreeCounts): TreePrediction {
  const queues = c.kinds.get('queue-meta') ?? NONE;
  const messages = c.kinds.get('msg-data') ?? NONE;
  return {
    files: queues.entries * (messages.entries > 0 ? 2 : 1),
    filesExact: messages.entries === 0,
    bytes: Math.round(0.85 * messages.valueBytes + 1.3 * queues.valueBytes),
    scratchBytes: messages.keyBytes + messages.valueBytes,
  };
}
