// The DynamoDB prefixes the dispatcher routes to this adapter (core.md §2.3).

import type { RouteSpec } from '../adapter.ts';
import { GSI_PREFIX, ITEM_PREFIX, TABLE_GEN_PREFIX, TABLE_META_PREFIX } from './keys.ts';

export const DDB_KIND = { tableMeta: 'table-meta', tableGen: 'table-gen', item: 'item', gsi: 'gsi' } as const;

/** The name of a DynamoDB route's handler. */
export type DynamoKind = (typeof DDB_KIND)[keyof typeof DDB_KIND];

export const DDB_ROUTES: readonly RouteSpec<DynamoKind>[] = [
  { prefix: TABLE_META_PREFIX, kind: DDB_KIND.tableMeta },
  { prefix: TABLE_GEN_PREFIX, kind: DDB_KIND.tableGen },
  { prefix: ITEM_PREFIX, kind: DDB_KIND.item },
  { prefix: GSI_PREFIX, kind: DDB_KIND.gsi },
];
