// The SQS prefixes the dispatcher routes to this adapter (core.md §2.3) and the handler name of each.

import type { RouteSpec } from '../adapter.ts';
import {
  MSG_BYAGE_PREFIX,
  MSG_DATA_PREFIX,
  MSG_DEDUP_PREFIX,
  MSG_GROUP_PREFIX,
  MSG_VIS_PREFIX,
  QUEUE_GEN_PREFIX,
  QUEUE_META_PREFIX,
  QUEUE_SEQ_PREFIX,
  QUEUE_TOMBSTONE_PREFIX,
} from './keys.ts';

export const SQS_KIND = {
  queueMeta: 'queue-meta',
  queueGen: 'queue-gen',
  msgData: 'msg-data',
} as const;

/** Side-record kinds and the prefix each stands for (recorded as `prefix` in side_records.jsonl). */
export const SIDE_PREFIX_OF_KIND = {
  'queue-seq': QUEUE_SEQ_PREFIX,
  'queue-tombstone': QUEUE_TOMBSTONE_PREFIX,
  'msg-vis': MSG_VIS_PREFIX,
  'msg-byage': MSG_BYAGE_PREFIX,
  'msg-dedup': MSG_DEDUP_PREFIX,
  'msg-group': MSG_GROUP_PREFIX,
} as const;

/** The name of an SQS side record's handler. */
type SideKind = keyof typeof SIDE_PREFIX_OF_KIND;

/** The name of an SQS route's handler. */
export type SqsKind = (typeof SQS_KIND)[keyof typeof SQS_KIND] | SideKind;

export const SQS_ROUTES: readonly RouteSpec<SqsKind>[] = [
  { prefix: QUEUE_META_PREFIX, kind: SQS_KIND.queueMeta },
  { prefix: QUEUE_GEN_PREFIX, kind: SQS_KIND.queueGen },
  { prefix: MSG_DATA_PREFIX, kind: SQS_KIND.msgData },
  ...Object.entries(SIDE_PREFIX_OF_KIND).map(([kind, prefix]) => ({ prefix, kind: kind as SideKind })),
];
