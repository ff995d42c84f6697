// What record filters see of a DynamoDB row: the table, and for item rows the partition-key value's bytes
// (the key's first ordered segment: 00 escaped as 00 FF, terminated by 00 01; spec dynamodb.md §1).

import type { FilterVocabulary, RowScope } from '../adapter.ts';
import { decodeB64u, GSI_PREFIX, ITEM_PREFIX, TABLE_GEN_PREFIX, TABLE_META_PREFIX } from './keys.ts';
import { DDB_KIND, type DynamoKind } from './routes.ts';
import { readOrderedSegment } from '../../bytes/ordered-segment.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

const PREFIX: Readonly<Record<DynamoKind, string>> = {
  [DDB_KIND.tableMeta]: TABLE_META_PREFIX,
  [DDB_KIND.tableGen]: TABLE_GEN_PREFIX,
  [DDB_KIND.item]: ITEM_PREFIX,
  [DDB_KIND.gsi]: GSI_PREFIX,
};

export const DYNAMODB_FILTER: FilterVocabulary<DynamoKind> = {
  scopeField: 'table',
  keyed: true,
  rowScope(kind, key): RowScope | undefined {
    const prefix = PREFIX[kind];
    const rest = asBuffer(key).subarray(prefix.length);
    const bar = kind === DDB_KIND.item || kind === DDB_KIND.gsi ? rest.indexOf(0x7c) : rest.length;
    if (bar < 0) return undefined;
    const table = decodeB64u(rest.subarray(0, bar).toString('latin1'));
    if (table === undefined) return undefined;
    if (kind !== DDB_KIND.item) return { scope: table };
    const afterGen = rest.indexOf(0x7c, bar + 1);
    const hash = afterGen < 0 ? undefined : readOrderedSegment(rest, afterGen + 1)?.raw;
    return hash === undefined ? undefined : { scope: table, key: hash };
  },
};
