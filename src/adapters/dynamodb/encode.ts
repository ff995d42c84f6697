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
import { unexpectedEntry, type TreeReader } from '../../tree/reader.ts';
import { readListed, readListedTransformed } from '../../tree/read-ahead.ts';
import { workerModuleUrl } from '../../threads/start-worker.ts';
import type { EncodeContext } from '../adapter.ts';
import { jsonValues } from '../../tree/json-stream.ts';
import { parseItemJson, parseSchemaJson, type PublicSchema } from './json.ts';
import { ITEM_MAGIC, SCHEMA_MAGIC, gsiKey, itemKey, tableGenKey, tableMetaKey } from './keys.ts';
import { NumberSyntaxError, numericKeyBytes } from './numbers.ts';
import { writeItem, writeTableSchema, type AttributeValue, type Item, type TableSchema } from './proto.ts';
import { encodeOrderedSegment } from '../../bytes/ordered-segment.ts';
import { unpackRows } from './packed-rows.ts';

/** Generation stamped on every restored table (ddbRestoreGeneration). */
const RESTORE_GENERATION = 1n;
/** The ordered key layout version (dynamoOrderedKeyEncodingV2). */
const ORDERED_KEY_ENCODING = 2n;

const invalidSchema = (path: string, why: string): DataError => new DataError('DDB_ENCODE_INVALID_SCHEMA', `dynamodb encode invalid _schema.json: ${why}`, { path });
const invalidItemJson = (path: string, why: string, line?: number): DataError =>
  new DataError('DDB_ENCODE_INVALID_ITEM', `dynamodb encode invalid item json: ${why}`, line === undefined ? { path } : { path, line });

/** Reads and checks `dynamodb/<dirName>/_schema.json`. */
export async function readSchema(tree: TreeReader, dirName: string): Promise<TableSchema> {
  const rel = `dynamodb/${dirName}/_schema.json`;
  const kind = await tree.kind(rel);
  if (kind === undefined) throw invalidSchema(rel, 'missing (every table directory needs its _schema.json)');
  if (kind !== 'file') throw new DataError('DDB_ENCODE_NOT_REGULAR', 'dynamodb dump file is not a regular file', { path: rel });
  let pub: PublicSchema;
  try {
    pub = parseSchemaJson(parseJsonBytes(await tree.readFile(rel)));
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
    gsis.set(g.name, {
      keySchema: { hashKey: g.hashKey, rangeKey: g.rangeKey },
      projection: { projectionType: g.projectionType, nonKeyAttributes: g.nonKeyAttributes },
    });
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
export function keyBytes(v: AttributeValue): Uint8Array {
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
  const rows: Array<[Buffer, Uint8Array]> = [[key, writeItem(item, ITEM_MAGIC)]];
  if (schema.globalSecondaryIndexes.size === 0) return rows;
  const pkSegments = Buffer.concat(
    rangeRaw === undefined
      ? [encodeOrderedSegment(hashRaw)]
      : [encodeOrderedSegment(hashRaw), encodeOrderedSegment(rangeRaw)],
  );
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

/** An item read from a table directory, with the file (and JSONL line) it came from. */
export interface TreeItem {
  readonly item: Item;
  readonly path: string;
  readonly line?: number;
}

function parseItem(value: JsonValue, path: string, line?: number): TreeItem {
  try {
    return line === undefined ? { item: parseItemJson(value), path } : { item: parseItemJson(value), path, line };
  } catch (err) {
    if (err instanceof JsonTypeError) throw invalidItemJson(path, err.message, line);
    throw err;
  }
}

/** Parses a per-item file's bytes. */
function parseItemFile(bytes: Buffer, rel: string): TreeItem {
  let value: JsonValue;
  try {
    value = parseJsonBytes(bytes);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw invalidItemJson(rel, err.message);
    throw err;
  }
  return parseItem(value, rel);
}

/** The rows of an item read from the tree (its file and line named in an error). */
function treeItemRows(schema: TableSchema, { item, path, line }: TreeItem): Array<[Buffer, Uint8Array]> {
  try {
    return itemRows(schema, item);
  } catch (err) {
    if (err instanceof NumberSyntaxError) throw invalidItemJson(path, err.message, line);
    throw err;
  }
}

/** The rows of a per-item file's bytes (`rel` named in an error). */
export function itemFileRows(schema: TableSchema, bytes: Buffer, rel: string): Array<[Buffer, Uint8Array]> {
  return treeItemRows(schema, parseItemFile(bytes, rel));
}

const BUNDLE_NAME = /^data-[0-9]+\.jsonl$/;

/** An item file (per-item layout) or a bundle of items (JSONL layout), as listed. */
interface ItemFile {
  readonly rel: string;
  readonly bundle: boolean;
}

/** The file to read ahead for an item file: none for a bundle, which is streamed line by line. */
const itemFileRel = (f: ItemFile): string | undefined => (f.bundle ? undefined : f.rel);

/**
 * The item files of `itemsRel` in directory order: `<h>.json` and `<h>/<r>.json` files (per-item layout) or
 * `data-*.jsonl` bundles (JSONL layout). A directory holding no item file (an item file replaced by a directory)
 * is an error rather than an item silently left out.
 */
async function* itemFiles(tree: TreeReader, itemsRel: string, layout: 'per-item' | 'jsonl'): AsyncGenerator<ItemFile> {
  for await (const e of tree.entries(itemsRel)) {
    const rel = `${itemsRel}/${e.name}`;
    if (layout === 'jsonl') {
      if (e.kind === 'file' && BUNDLE_NAME.test(e.name)) {
        yield { rel, bundle: true };
        continue;
      }
      throw invalidItemJson(rel, 'unexpected entry in a JSONL-layout items directory (only data-<part>.jsonl files belong there)');
    }
    if (e.kind === 'dir') {
      let items = 0;
      for await (const inner of tree.entries(rel)) {
        if (inner.kind === 'dir') throw invalidItemJson(rel, `unexpected nested directory ${JSON.stringify(inner.name)} (items layout is at most 2 levels)`);
        if (!inner.name.endsWith('.json')) continue;
        items++;
        yield { rel: `${rel}/${inner.name}`, bundle: false };
      }
      if (items === 0) throw unexpectedEntry(rel, 'a directory holding no item file (an item file replaced by a directory?)');
    } else if (e.name.endsWith('.json')) {
      yield { rel, bundle: false };
    }
  }
}

/**
 * The items of `dynamodb/<dirName>/items` in directory order (see itemFiles); item files are read ahead
 * (src/tree/read-ahead.ts), bundles streamed line by line.
 */
export async function* readItems(tree: TreeReader, dirName: string, layout: 'per-item' | 'jsonl'): AsyncGenerator<TreeItem> {
  const itemsRel = await itemsDir(tree, dirName);
  if (itemsRel === undefined) return;
  // Streamed in directory order (a table may hold millions of item files).
  const files = readListed(tree, itemFiles(tree, itemsRel, layout), itemFileRel);
  for await (const { item: f, body } of files) {
    if (body !== undefined) {
      yield parseItemFile(body, f.rel);
      continue;
    }
    yield* bundleItems(tree, f.rel);
  }
}

/** `dynamodb/<dirName>/items` when the table has one (undefined when it has none). */
async function itemsDir(tree: TreeReader, dirName: string): Promise<string | undefined> {
  const itemsRel = `dynamodb/${dirName}/items`;
  const kind = await tree.kind(itemsRel);
  if (kind === undefined) return undefined;
  if (kind !== 'dir') throw invalidItemJson(itemsRel, `${itemsRel} is not a directory`);
  return itemsRel;
}

/** The items of a JSONL bundle, line by line. */
async function* bundleItems(tree: TreeReader, rel: string): AsyncGenerator<TreeItem> {
  for await (const { value, line } of jsonValues(tree, rel, 'DDB_ENCODE_INVALID_ITEM', 'dynamodb encode invalid item json')) yield parseItem(value, rel, line);
}

/**
 * The rows of a table's items, item by item in directory order (readItems): per-item files are read and turned
 * into rows on the read-ahead worker thread (item-rows-transform.ts), bundles here.
 */
async function* tableRows(
  tree: TreeReader,
  schema: TableSchema,
  dirName: string,
  layout: 'per-item' | 'jsonl',
): AsyncGenerator<Iterable<[Buffer, Uint8Array]>> {
  const itemsRel = await itemsDir(tree, dirName);
  if (itemsRel === undefined) return;
  const transform = { module: workerModuleUrl('./item-rows-transform', import.meta.url), arg: schema };
  const files = readListedTransformed(tree, itemFiles(tree, itemsRel, layout), itemFileRel, transform);
  for await (const { item: f, body, transformed } of files) {
    if (body === undefined) {
      for await (const item of bundleItems(tree, f.rel)) yield treeItemRows(schema, item);
    } else if (transformed) yield unpackRows(body);
    else yield itemFileRows(schema, body, f.rel);
  }
}

/** The table directories of a tree (loose files under `dynamodb/` are ignored, as by the reference). */
export async function tableDirs(tree: TreeReader): Promise<string[]> {
  const kind = await tree.kind('dynamodb');
  if (kind === undefined) return [];
  if (kind !== 'dir') throw new DataError('DDB_NOT_DIR', 'dynamodb dump path is not a directory', { path: 'dynamodb' });
  return (await tree.list('dynamodb')).filter((e) => e.kind === 'dir').map((e) => e.name);
}

export async function encodeDynamo(ctx: EncodeContext): Promise<void> {
  for (const dir of await tableDirs(ctx.tree)) {
    const schema = await readSchema(ctx.tree, dir);
    await ctx.emit(tableMetaKey(schema.tableName), Buffer.concat([SCHEMA_MAGIC, writeTableSchema(schema)]));
    await ctx.emit(tableGenKey(schema.tableName), Buffer.from(String(RESTORE_GENERATION)));
    for await (const rows of tableRows(ctx.tree, schema, dir, ctx.switches.dynamodbLayout)) {
      for (const [k, v] of rows) await ctx.emit(k, v);
    }
  }
}
