// Export of a tree's DynamoDB items into a live DynamoDB endpoint through the AWS SDK v3: BatchWriteItem with 25
// puts per request, four requests in flight, unprocessed items retried with exponential backoff. With
// `createTables`, each table is created from its `_schema.json` (key schema, attribute types, global secondary
// indexes; on-demand billing) and awaited until active; a table that already exists is used as it is. Puts
// replace items with the same key, so a re-run converges (idempotent).
//
// A batch the service refuses as a whole (a ValidationException) is written again item by item with PutItem, so
// that the refusal names the item (its file, and line for JSONL trees).

import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  PutItemCommand,
  type AttributeDefinition,
  type AttributeValue as SdkValue,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { readDynamoTables, type TreeTable } from '../../adapters/dynamodb/records.ts';
import type { TreeItem } from '../../adapters/dynamodb/encode.ts';
import type { AttributeValue, KeySchema, TableSchema } from '../../adapters/dynamodb/proto.ts';
import { DataError, UserError } from '../../errors.ts';
import type { RecordFilter } from '../../filter/record-filter.ts';
import type { TreeReader } from '../../tree/reader.ts';
import { exportFailure } from '../aws.ts';
import type { ExportReport } from '../report.ts';

const BATCH = 25;
const BATCHES_IN_FLIGHT = 4;
const MAX_RETRIES = 10;
const TABLE_WAIT_MS = 120_000;

export interface DynamoLiveOptions {
  readonly tree: TreeReader;
  readonly layout: 'per-item' | 'jsonl';
  /** Undefined for a dry run. */
  readonly client: DynamoDBClient | undefined;
  /** The endpoint as shown in messages (no credentials). */
  readonly where: string;
  readonly createTables: boolean;
  readonly report: ExportReport;
  readonly filter?: RecordFilter;
  readonly onProgress?: (report: ExportReport) => void;
  /** Base delay of the unprocessed-items backoff (tests shorten it). */
  readonly backoffMs?: number;
}

/** The SDK's form of an attribute value; undefined for a value DynamoDB cannot hold (an unset oneof). */
export function toSdkValue(v: AttributeValue): SdkValue | undefined {
  switch (v.kind) {
    case 'S':
      return { S: v.value };
    case 'N':
      return { N: v.value };
    case 'B':
      return { B: v.value };
    case 'BOOL':
      return { BOOL: v.value };
    case 'NULL':
      return { NULL: true };
    case 'SS':
      return { SS: v.value };
    case 'NS':
      return { NS: v.value };
    case 'BS':
      return { BS: v.value };
    case 'L': {
      const out: SdkValue[] = [];
      for (const e of v.value) {
        const s = toSdkValue(e);
        if (s === undefined) return undefined;
        out.push(s);
      }
      return { L: out };
    }
    case 'M': {
      const out: Record<string, SdkValue> = {};
      for (const [k, e] of v.value) {
        const s = toSdkValue(e);
        if (s === undefined) return undefined;
        Object.defineProperty(out, k, { value: s, enumerable: true, writable: true, configurable: true });
      }
      return { M: out };
    }
    case 'unset':
      return undefined;
  }
}

function toSdkItem(item: ReadonlyMap<string, AttributeValue>): Record<string, SdkValue> | undefined {
  const out: Record<string, SdkValue> = {};
  for (const [k, v] of item) {
    const s = toSdkValue(v);
    if (s === undefined) return undefined;
    Object.defineProperty(out, k, { value: s, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function keySchema(k: KeySchema): KeySchemaElement[] {
  return [{ AttributeName: k.hashKey, KeyType: 'HASH' }, ...(k.rangeKey !== '' ? [{ AttributeName: k.rangeKey, KeyType: 'RANGE' as const }] : [])];
}

/** CreateTable's input for a schema: the key attributes of the table and its indexes, on-demand billing. */
function createTableInput(s: TableSchema): ConstructorParameters<typeof CreateTableCommand>[0] {
  if (s.primaryKey === undefined || s.primaryKey.hashKey === '') throw new DataError('EXPORT_TARGET_REFUSED', `table ${JSON.stringify(s.tableName)} has no primary key to create it with`);
  const keys = new Set<string>();
  const addKeys = (k: KeySchema): void => {
    keys.add(k.hashKey);
    if (k.rangeKey !== '') keys.add(k.rangeKey);
  };
  addKeys(s.primaryKey);
  const gsis: GlobalSecondaryIndex[] = [];
  for (const [name, g] of s.globalSecondaryIndexes) {
    if (g.keySchema === undefined) continue;
    addKeys(g.keySchema);
    const type = g.projection?.projectionType ?? '';
    gsis.push({
      IndexName: name,
      KeySchema: keySchema(g.keySchema),
      Projection: {
        ProjectionType: type === 'KEYS_ONLY' || type === 'INCLUDE' ? type : 'ALL',
        ...(type === 'INCLUDE' ? { NonKeyAttributes: g.projection?.nonKeyAttributes ?? [] } : {}),
      },
    });
  }
  const defs: AttributeDefinition[] = [...keys].map((name) => {
    const t = s.attributeDefinitions.get(name) ?? '';
    if (t !== 'S' && t !== 'N' && t !== 'B') throw new DataError('EXPORT_TARGET_REFUSED', `table ${JSON.stringify(s.tableName)}: key attribute ${JSON.stringify(name)} has no S, N or B type in _schema.json`);
    return { AttributeName: name, AttributeType: t };
  });
  return {
    TableName: s.tableName,
    KeySchema: keySchema(s.primaryKey),
    AttributeDefinitions: defs,
    BillingMode: 'PAY_PER_REQUEST',
    ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis } : {}),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function ensureTable(client: DynamoDBClient, o: DynamoLiveOptions, s: TableSchema): Promise<void> {
  const what = `table ${JSON.stringify(s.tableName)}`;
  const describe = async (): Promise<string | undefined> => {
    try {
      const d = await client.send(new DescribeTableCommand({ TableName: s.tableName }));
      return d.Table?.TableStatus ?? 'ACTIVE';
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw exportFailure(err, what, o.where);
    }
  };
  let status = await describe();
  if (status === undefined) {
    if (!o.createTables) throw new UserError('EXPORT_TARGET_MISSING', `${o.where}: table ${JSON.stringify(s.tableName)} does not exist (create it, or pass --create-tables)`);
    try {
      await client.send(new CreateTableCommand(createTableInput(s)));
    } catch (err) {
      if ((err as { name?: string }).name !== 'ResourceInUseException') throw exportFailure(err, `the creation of ${what}`, o.where, `dynamodb/${s.tableName}/_schema.json`);
    }
    status = await describe();
  }
  const deadline = Date.now() + TABLE_WAIT_MS;
  while (status !== 'ACTIVE') {
    if (Date.now() > deadline) throw new UserError('EXPORT_TARGET_UNREACHABLE', `${o.where}: ${what} is still ${status ?? 'absent'} after ${TABLE_WAIT_MS / 1000}s`);
    await sleep(200);
    status = await describe();
  }
}

interface Pending {
  readonly it: TreeItem;
  readonly request: WriteRequest;
  readonly bytes: number;
}

const itemName = (table: string, it: TreeItem): string => `item ${it.path}${it.line !== undefined ? `:${it.line}` : ''} of table ${JSON.stringify(table)}`;

async function writeBatch(
  client: DynamoDBClient,
  o: DynamoLiveOptions,
  table: string,
  batch: readonly Pending[],
): Promise<void> {
  let requests = batch.map((p) => p.request);
  for (let attempt = 0; ; attempt++) {
    let unprocessed: WriteRequest[];
    try {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
      unprocessed = out.UnprocessedItems?.[table] ?? [];
    } catch (err) {
      const e = exportFailure(err, `a batch of ${requests.length} items of table ${JSON.stringify(table)}`, o.where);
      if (!(e instanceof DataError)) throw e;
      // Refused as a whole: find the item, one put at a time.
      for (const p of batch) {
        try {
          await client.send(new PutItemCommand({ TableName: table, Item: p.request.PutRequest?.Item }));
        } catch (err2) {
          throw exportFailure(err2, itemName(table, p.it), o.where, p.it.path);
        }
      }
      return;
    }
    if (unprocessed.length === 0) return;
    if (attempt >= MAX_RETRIES) {
      const left = new Set(unprocessed.map((r) => itemIdentity(r.PutRequest?.Item)));
      const first = batch.find((p) => left.has(itemIdentity(p.request.PutRequest?.Item))) ?? batch[0];
      throw new DataError('EXPORT_TARGET_REFUSED', `${o.where} left ${unprocessed.length} items unprocessed after ${MAX_RETRIES} retries (throttled?), first ${first === undefined ? '' : itemName(table, first.it)}`, first === undefined ? {} : { path: first.it.path });
    }
    await sleep(Math.min(5000, (o.backoffMs ?? 50) * 2 ** attempt * (0.5 + Math.random() / 2)));
    requests = unprocessed;
  }
}

/** An item as comparable text (binary values as base64). */
const itemIdentity = (item: Record<string, SdkValue> | undefined): string => JSON.stringify(item, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));

/** The size DynamoDB bills an item at, near enough for the report: names and values as bytes. */
function itemBytes(v: SdkValue | Record<string, SdkValue>): number {
  let n = 0;
  for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
    n += Buffer.byteLength(k);
    if (typeof e === 'string') n += Buffer.byteLength(e);
    else if (e instanceof Uint8Array) n += e.length;
    else if (typeof e === 'boolean') n += 1;
    else if (Array.isArray(e)) for (const x of e as unknown[]) n += typeof x === 'string' ? Buffer.byteLength(x) : x instanceof Uint8Array ? x.length : itemBytes(x as SdkValue);
    else if (typeof e === 'object' && e !== null) n += itemBytes(e as Record<string, SdkValue>);
  }
  return n;
}

export async function exportDynamoLive(o: DynamoLiveOptions): Promise<void> {
  const { report, filter, client } = o;
  const tables = readDynamoTables(o.tree, {
    layout: o.layout,
    ...(filter !== undefined ? { accept: (row) => filter.accepts('dynamodb', row) } : {}),
    onFiltered: () => report.filtered++,
  });
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  const send = async (table: string, batch: Pending[]): Promise<void> => {
    if (client === undefined) {
      done(batch);
      return;
    }
    const p = writeBatch(client, o, table, batch).then(
      () => {
        done(batch);
      },
      (err: unknown) => {
        failure ??= err as Error;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    while (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
  };
  const done = (batch: readonly Pending[]): void => {
    report.records += batch.length;
    for (const p of batch) report.bytes += p.bytes;
    o.onProgress?.(report);
  };
  try {
    for await (const t of tables) await exportTable(o, t, send);
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
  } catch (err) {
    await Promise.allSettled(inFlight);
    const first = failure ?? err;
    if (first instanceof DataError && first.code === 'EXPORT_TARGET_REFUSED') report.failures++;
    throw first;
  }
}

type Send = (table: string, batch: Pending[]) => Promise<void>;

async function exportTable(o: DynamoLiveOptions, t: TreeTable, send: Send): Promise<void> {
  const table = t.schema.tableName;
  if (o.client !== undefined) await ensureTable(o.client, o, t.schema);
  let batch: Pending[] = [];
  for await (const it of t.items()) {
    const item = toSdkItem(it.item);
    if (item === undefined) {
      o.report.unrepresentable++; // an attribute with no value at all
      continue;
    }
    batch.push({ it, request: { PutRequest: { Item: item } }, bytes: itemBytes(item) });
    if (batch.length === BATCH) {
      await send(table, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await send(table, batch);
}
