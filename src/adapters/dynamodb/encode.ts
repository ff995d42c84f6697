// Encoding `dynamodb/<table>/` back into rows (spec dynamodb.md §3; elastickv: internal/backup/encode_dynamodb.go,
// encode_dynamodb_items.go, encode_dynamodb_gsi.go).
//
// Per table directory: `_schema.json` becomes the schema row (ordered keys, generation 1) and the generation
// counter; each item becomes its item row and one GSI row per index whose key attributes the item has. Items are
// read from `items/<h>.json` and `items/<h>/<r>.json` (per-item layout) or from `items/data-*.jsonl` (the JSONL
// layout, which the reference refuses): both give the same rows.

import { DataError } from '../../errors.ts';
import { JsonSyntaxError, JsonTypeError, parseJsonBytes, type JsonValue } from '../../json/go-json-read.ts';
import { encodeSegment } from '../../tree/segment.ts';
import type { EncodeContext } from '../adapter.ts';
import { jsonValues } from '../../tree/json-stream.ts';
import { parseItemJson, parseSchemaJson, type PublicSchema } from './json.ts';
import { ITEM_MAGIC, SCHEMA_MAGIC, gsiKey, itemKey, orderedSegment, tableGenKey, tableMetaKey } from './keys.ts';
import { NumberSyntaxError, numericKeyBytes } from './numbers.ts';
import { writeItem, writeTableSchema, type AttributeValue, type Item, type TableSchema } from './proto.ts';

/** Generation stamped on every restored table (ddbRestoreGeneration). */
export const RESTORE_GENERATION = 1n;
/** The ordered key layout version (dynamoOrderedKeyEncodingV2). */
const ORDERED_KEY_ENCODING = 2n;

const invalidSchema = (path: string, why: string): DataError => new DataError('DDB_ENCODE_INVALID_SCHEMA', `backup: dynamodb encode invalid _schema.json: ${why}`, { path });
const invalidItemJson = (path: string, why: string, line?: number): DataError =>
  new DataError('DDB_ENCODE_INVALID_ITEM', `backup: dynamodb encode invalid item json: ${why}`, line === undefined ? { path } : { path, line });

async function readSchema(ctx: EncodeContext, dirName: string): Promise<TableSchema> {
  const rel = `dynamodb/${dirName}/_schema.json`;
  const kind = await ctx.tree.kind(rel);
  if (kind === undefined) throw invalidSchema(rel, 'missing (every table directory needs its _schema.json)');
  if (kind !== 'file') throw new DataError('DDB_ENCODE_NOT_REGULAR', 'backup: dynamodb dump file is not a regular file', { path: rel });
  let pub: PublicSchema;
  try {
    pub = parseSchemaJson(parseJsonBytes(await ctx.tree.readFile(rel)));
  } catch (err) {
    if (err instanceof JsonSyntaxError || err instanceof JsonTypeError) throw invalidSchema(rel, err.message);
    throw err;
  }
  if (pub.formatVersion !== 1n) throw invalidSchema(rel, `unsupported format_version ${pub.formatVersion}`);
  const defs = new Map<string, string>();
  for (const [name, type] of pub.attributeDefinitions) {
    if (defs.has(name)) throw invalidSchema(rel, `duplicate attribute definition ${JSON.stringify(name)}`);
    defs.set(name, type);
  }
  const gsis: TableSchema['globalSecondaryIndexes'] = new Map();
  for (const g of pub.gsis) {
    if (gsis.has(g.name)) throw invalidSchema(rel, `duplicate GSI name ${JSON.stringify(g.name)}`);
    gsis.set(g.name, { keySchema: { hashKey: g.hashKey, rangeKey: g.rangeKey }, projection: { projectionType: g.projectionType, nonKeyAttributes: g.nonKeyAttributes } });
  }
  if (pub.tableName === '') throw invalidSchema(rel, 'empty table_name');
  const want = encodeSegment(Buffer.from(pub.tableName, 'utf8'));
  if (want !== dirName) throw invalidSchema(rel, `table_name ${JSON.stringify(pub.tableName)} encodes to dir ${JSON.stringify(want)}, not ${JSON.stringify(dirName)} (dump tampered or rebuilt by hand?)`);
  if (pub.hashKey === '') throw invalidSchema(rel, 'empty primary hash key');
  return {
    tableName: pub.tableName,
    attributeDefinitions: defs,
    primaryKey: { hashKey: pub.hashKey, rangeKey: pub.rangeKey },
    globalSecondaryIndexes: gsis,
    keyEncodingVersion: ORDERED_KEY_ENCODING,
    migratingFromGeneration: 0n,
    generation: RESTORE_GENERATION,
  };
}

/** Raw key bytes of a key attribute (S bytes, B bytes, N order-preserving form). */
function keyBytes(v: AttributeValue): Uint8Array {
  if (v.kind === 'S') return Buffer.from(v.value, 'utf8');
  if (v.kind === 'B') return v.value;
  if (v.kind === 'N') return numericKeyBytes(v.value);
  throw new NumberSyntaxError('primary key attribute is not S, N, or B');
}

/** The rows of one item: the item row and its GSI rows. */
function itemRows(schema: TableSchema, item: Item): Array<[Buffer, Uint8Array]> {
  const pk = schema.primaryKey as { hashKey: string; rangeKey: string };
  const h = item.get(pk.hashKey);
  if (h === undefined) throw new NumberSyntaxError(`item missing hash-key attribute ${JSON.stringify(pk.hashKey)}`);
  const hashRaw = keyBytes(h);
  let rangeRaw: Uint8Array | undefined;
  if (pk.rangeKey !== '') {
    const r = item.get(pk.rangeKey);
    if (r === undefined) throw new NumberSyntaxError(`item missing range-key attribute ${JSON.stringify(pk.rangeKey)}`);
    rangeRaw = keyBytes(r);
  }
  const key = itemKey(schema.tableName, RESTORE_GENERATION, hashRaw, rangeRaw);
  const rows: Array<[Buffer, Uint8Array]> = [[key, Buffer.concat([ITEM_MAGIC, writeItem(item)])]];
  if (schema.globalSecondaryIndexes.size === 0) return rows;
  const pkSegments = Buffer.concat(rangeRaw === undefined ? [orderedSegment(hashRaw)] : [orderedSegment(hashRaw), orderedSegment(rangeRaw)]);
  for (const [name, gsi] of schema.globalSecondaryIndexes) {
    const ks = gsi.keySchema as { hashKey: string; rangeKey: string };
    const ih = item.get(ks.hashKey);
    if (ih === undefined) continue;
    const ihRaw = keyBytes(ih);
    let irRaw: Uint8Array | undefined;
    if (ks.rangeKey !== '') {
      const ir = item.get(ks.rangeKey);
      if (ir === undefined) continue;
      irRaw = keyBytes(ir);
    }
    rows.push([gsiKey(schema.tableName, RESTORE_GENERATION, name, ihRaw, irRaw, pkSegments), key]);
  }
  return rows;
}

async function emitItem(ctx: EncodeContext, schema: TableSchema, value: JsonValue, path: string, line?: number): Promise<void> {
  let rows: Array<[Buffer, Uint8Array]>;
  try {
    rows = itemRows(schema, parseItemJson(value));
  } catch (err) {
    if (err instanceof JsonTypeError || err instanceof NumberSyntaxError) throw invalidItemJson(path, err.message, line);
    throw err;
  }
  for (const [k, v] of rows) await ctx.emit(k, v);
}

async function encodeItemFile(ctx: EncodeContext, schema: TableSchema, rel: string): Promise<void> {
  let value: JsonValue;
  try {
    value = parseJsonBytes(await ctx.tree.readFile(rel));
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw invalidItemJson(rel, err.message);
    throw err;
  }
  await emitItem(ctx, schema, value, rel);
}

const BUNDLE_NAME = /^data-[0-9]+\.jsonl$/;

async function encodeItems(ctx: EncodeContext, schema: TableSchema, tableDir: string): Promise<void> {
  const itemsRel = `${tableDir}/items`;
  const kind = await ctx.tree.kind(itemsRel);
  if (kind === undefined) return;
  if (kind !== 'dir') throw invalidItemJson(itemsRel, `${itemsRel} is not a directory`);
  const jsonl = ctx.switches.dynamodbLayout === 'jsonl';
  // Streamed in directory order (a table may hold millions of item files); the rows are sorted downstream.
  for await (const e of ctx.tree.entries(itemsRel)) {
    const rel = `${itemsRel}/${e.name}`;
    if (jsonl) {
      if (e.kind === 'file' && BUNDLE_NAME.test(e.name)) {
        for await (const { value, line } of jsonValues(ctx.tree, rel, 'DDB_ENCODE_INVALID_ITEM', 'backup: dynamodb encode invalid item json')) await emitItem(ctx, schema, value, rel, line);
        continue;
      }
      throw invalidItemJson(rel, 'unexpected entry in a JSONL-layout items directory (only data-<part>.jsonl files belong there)');
    }
    if (e.kind === 'dir') {
      for await (const inner of ctx.tree.entries(rel)) {
        const innerRel = `${rel}/${inner.name}`;
        if (inner.kind === 'dir') throw invalidItemJson(rel, `unexpected nested directory ${JSON.stringify(inner.name)} (items layout is at most 2 levels)`);
        if (inner.name.endsWith('.json')) await encodeItemFile(ctx, schema, innerRel);
      }
    } else if (e.name.endsWith('.json')) {
      await encodeItemFile(ctx, schema, rel);
    }
  }
}

export async function encodeDynamo(ctx: EncodeContext): Promise<void> {
  const kind = await ctx.tree.kind('dynamodb');
  if (kind === undefined) return;
  if (kind !== 'dir') throw new DataError('DDB_NOT_DIR', 'backup: dynamodb dump path is not a directory', { path: 'dynamodb' });
  for (const e of await ctx.tree.list('dynamodb')) {
    if (e.kind !== 'dir') continue; // the reference ignores loose files here
    const schema = await readSchema(ctx, e.name);
    await ctx.emit(tableMetaKey(schema.tableName), Buffer.concat([SCHEMA_MAGIC, writeTableSchema(schema)]));
    await ctx.emit(tableGenKey(schema.tableName), Buffer.from(String(RESTORE_GENERATION)));
    await encodeItems(ctx, schema, `dynamodb/${e.name}`);
  }
}
