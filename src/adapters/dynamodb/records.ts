// Reading a DynamoDB tree as tables and items for export: each table's checked schema, then its items, with the
// filter consulted per table (scope) and per item (partition-key bytes, as the decode-side filter sees them).

import type { TreeReader } from '../../tree/reader.ts';
import type { RowScope } from '../adapter.ts';
import { keyBytes, readItems, readSchema, tableDirs, type TreeItem } from './encode.ts';
import type { TableSchema } from './proto.ts';

export interface TreeTable {
  /** The table's directory name under `dynamodb/`. */
  readonly dir: string;
  readonly schema: TableSchema;
  /** The table's items in directory order, those the filter refuses left out (`onFiltered` counts them). */
  items(): AsyncGenerator<TreeItem>;
}

export interface DynamoReadOptions {
  readonly layout: 'per-item' | 'jsonl';
  readonly accept?: (row: RowScope) => boolean;
  readonly onFiltered?: () => void;
}

export async function* readDynamoTables(tree: TreeReader, opts: DynamoReadOptions): AsyncGenerator<TreeTable> {
  for (const dir of await tableDirs(tree)) {
    const schema = await readSchema(tree, dir);
    const scope = Buffer.from(schema.tableName, 'utf8');
    const accept = opts.accept;
    if (accept !== undefined && !accept({ scope })) continue;
    const hashKey = schema.primaryKey?.hashKey ?? '';
    yield {
      dir,
      schema,
      async *items() {
        for await (const it of readItems(tree, dir, opts.layout)) {
          if (accept !== undefined) {
            const h = it.item.get(hashKey);
            let key: Uint8Array | undefined;
            try {
              key = h === undefined ? undefined : keyBytes(h);
            } catch {
              key = undefined; // not a key type: the filter sees no key
            }
            if (!accept(key === undefined ? { scope } : { scope, key })) {
              opts.onFiltered?.();
              continue;
            }
          }
          yield it;
        }
      },
    };
  }
}
