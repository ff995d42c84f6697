// What record filters see of an SQS row: its queue (messages have no user key a filter could use).

import { decodeBase64UrlRaw } from '../../tree/segment.ts';
import type { FilterVocabulary, RowScope } from '../adapter.ts';
import { QUEUE_GEN_PREFIX, QUEUE_META_PREFIX, parseMsgDataKey, parseSideKey } from './keys.ts';
import { SIDE_PREFIX_OF_KIND, SQS_KIND, type SqsKind } from './routes.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

function encodedQueue(kind: SqsKind, key: Uint8Array): string | undefined {
  const b = asBuffer(key);
  if (kind === SQS_KIND.queueMeta) return b.subarray(QUEUE_META_PREFIX.length).toString('latin1');
  if (kind === SQS_KIND.queueGen) return b.subarray(QUEUE_GEN_PREFIX.length).toString('latin1');
  try {
    if (kind === SQS_KIND.msgData) return parseMsgDataKey(key).encQueue;
    return parseSideKey(key, SIDE_PREFIX_OF_KIND[kind]).encQueue;
  } catch {
    return undefined; // malformed: the decoder reports it
  }
}

export const SQS_FILTER: FilterVocabulary<SqsKind> = {
  scopeField: 'queue',
  keyed: false,
  rowScope(kind, key): RowScope | undefined {
    const enc = encodedQueue(kind, key);
    const queue = enc === undefined ? undefined : decodeBase64UrlRaw(enc);
    return queue === undefined ? undefined : { scope: queue };
  },
};
