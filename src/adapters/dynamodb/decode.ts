// Decoding DynamoDB rows into `dynamodb/<table>/` (spec dynamodb.md §2; elastickv: internal/backup/dynamodb.go).
//
// Items sort before their table's schema (`!ddb|item|` < `!ddb|meta|`), so every item is validated when it
// arrives and parked in an external sorter keyed by table, generation and arrival; at the end each table with a
// schema writes `_schema.json` and the items of its active generation (and of the migration source, which the
// active generation overrides path by path). Items of other generations and of tables without a schema are
// reported, not written. With `--dynamodb-bundle-mode jsonl` items go to `items/data-<part>.jsonl` instead
// (one compact JSON item per line, ordered by item path, parts cut at the bundle size); the reference
// refuses that mode.

import { DataError } from '../../errors.ts';
import type { ExternalSorter } from '../../sort/external-sort.ts';
import { encodeSegment } from '../../tree/segment.ts';
import type { FileSink } from '../../tree/writer.ts';
import { everyKindHandled, type AdapterDecoder, type DecodeContext } from '../adapter.ts';
import { itemNumberProblem, renderItemJson, renderItemLine, renderSchemaJson } from './json.ts';
import { ITEM_MAGIC, ITEM_PREFIX, SCHEMA_MAGIC, TABLE_META_PREFIX, decodeB64u, parseItemKey } from './keys.ts';
import { invalidItem, itemRelPath } from './paths.ts';
import { ProtoError, readItem, readTableSchema, type Item, type TableSchema } from './proto.ts';
import { DDB_KIND, type DynamoKind } from './routes.ts';
import { u32be, u64be } from '../../bytes/big-endian.ts';
import { itemKeyProblem } from './row-key.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

interface TableState {
  readonly segment: string;
  rawName: Buffer | undefined;
  schema: TableSchema | undefined;
  /** Buffered items per generation. */
  readonly counts: Map<bigint, number>;
  /**
   * The error its schema row was refused with (only while salvaging: without --salvage that row ends the
   * decode); the table's items are then set apart with it as one unit instead of dropped as orphans.
   */
  refused: DataError | undefined;
}

/** Bundle part file name: `data-00000.jsonl`, `data-00001.jsonl`, … */
const bundlePartName = (part: number): string => `data-${String(part).padStart(5, '0')}.jsonl`;

export class DynamoDecoder implements AdapterDecoder<DynamoKind> {
  readonly #ctx: DecodeContext;
  readonly #tables = new Map<string, TableState>();
  #items: ExternalSorter | undefined;
  #seq = 0n;
  /** Tables set apart by --salvage while their items were written, and their directories. */
  readonly #damaged = new Set<TableState>();
  readonly #damagedDirs = new Set<string>();

  constructor(ctx: DecodeContext) {
    this.#ctx = ctx;
  }

  #table(segment: string): TableState {
    let st = this.#tables.get(segment);
    if (st === undefined) {
      st = { segment, rawName: undefined, schema: undefined, counts: new Map(), refused: undefined };
      this.#tables.set(segment, st);
    }
    return st;
  }

  handle(kind: DynamoKind, key: Uint8Array, value: Uint8Array): Promise<void> | undefined {
    switch (kind) {
      case DDB_KIND.tableMeta:
        this.#tableMeta(key, value);
        return undefined;
      case DDB_KIND.item:
        return this.#item(key, value);
      case DDB_KIND.tableGen:
      case DDB_KIND.gsi:
        return undefined; // generation counters and GSI rows are derived: dropped without validation
    }
    return everyKindHandled(kind);
  }

  #tableMeta(key: Uint8Array, value: Uint8Array): void {
    const segment = asBuffer(key).subarray(TABLE_META_PREFIX.length).toString('latin1');
    if (segment === '') throw new DataError('DDB_MALFORMED_KEY', 'malformed DynamoDB key: empty table segment', { key });
    const raw = decodeB64u(segment);
    if (raw === undefined) throw new DataError('DDB_MALFORMED_KEY', 'malformed DynamoDB key: table segment is not base64url', { key });
    try {
      this.#tableSchema(segment, raw, key, value);
    } catch (err) {
      if (err instanceof DataError) this.#table(segment).refused ??= err;
      throw err;
    }
  }

  #tableSchema(segment: string, raw: Uint8Array, key: Uint8Array, value: Uint8Array): void {
    const v = asBuffer(value);
    if (!v.subarray(0, 4).equals(SCHEMA_MAGIC)) throw new DataError('DDB_INVALID_SCHEMA', 'invalid !ddb|meta|table value: missing magic prefix', { key });
    let schema: TableSchema;
    try {
      schema = readTableSchema(v.subarray(4));
    } catch (err) {
      if (err instanceof ProtoError) throw new DataError('DDB_INVALID_SCHEMA', `invalid !ddb|meta|table value: ${err.message}`, { key });
      throw err;
    }
    // The tree names the table's directory from the key and the encoder derives the key from the schema's
    // table_name: a schema naming another table (damage) would decode into a tree the encoder refuses.
    if (!Buffer.from(schema.tableName, 'utf8').equals(raw)) {
      const named = JSON.stringify(schema.tableName);
      throw new DataError('DDB_INVALID_SCHEMA', `invalid !ddb|meta|table value: table_name ${named} is not the key's table`, { key });
    }
    // A table has a hash key (CreateTable requires one) and the encoder refuses a _schema.json without it: a schema
    // row without one (damage) would decode into a tree that does not come back.
    if ((schema.primaryKey?.hashKey ?? '') === '') {
      throw new DataError('DDB_INVALID_SCHEMA', `invalid !ddb|meta|table value: table ${JSON.stringify(schema.tableName)} has no primary hash key`, { key });
    }
    const st = this.#table(segment);
    st.rawName = Buffer.from(raw);
    st.schema = schema;
  }

  async #item(key: Uint8Array, value: Uint8Array): Promise<void> {
    const { tableSegment, generation, payload } = parseItemKey(key);
    const v = asBuffer(value);
    if (!v.subarray(0, 4).equals(ITEM_MAGIC)) throw invalidItem('missing magic prefix', { key });
    const body = v.subarray(4);
    let item: Item;
    try {
      item = readItem(body);
    } catch (err) {
      if (err instanceof ProtoError) throw invalidItem(err.message, { key });
      throw err;
    }
    // The encoder refuses a number outside DynamoDB's grammar and limits: such an item (damage; the node checks
    // numbers on write) is refused here, so a decode that succeeds gives a tree that encodes.
    const numberProblem = itemNumberProblem(item);
    if (numberProblem !== undefined) {
      const raw = decodeB64u(tableSegment);
      const table = raw === undefined ? tableSegment : Buffer.from(raw).toString('utf8');
      throw invalidItem(`table ${JSON.stringify(table)}: ${numberProblem}`, { key });
    }
    const st = this.#table(tableSegment);
    st.counts.set(generation, (st.counts.get(generation) ?? 0) + 1);
    this.#items ??= this.#ctx.newSorter();
    // The value: the row key's primary-key payload (checked against the item once the schema is known), then the item.
    await this.#items.add(
      Buffer.concat([Buffer.from(tableSegment, 'latin1'), Buffer.from([0]), u64be(generation), u64be(this.#seq++)]),
      Buffer.concat([u32be(payload.length), payload, body]),
    );
  }

  async finalize(): Promise<void> {
    const jsonl = this.#ctx.switches.dynamodbBundleMode === 'jsonl';
    for (const st of this.#tables.values()) {
      if (st.schema === undefined && st.refused !== undefined) {
        // Its schema row was set apart by --salvage: its items (and GSI rows) are kept with it in the quarantine
        // rather than dropped as a table without a schema.
        const scope = decodeB64u(st.segment) as Uint8Array;
        await this.#ctx.damaged({ error: st.refused, rows: { scope }, written: [] });
        continue;
      }
      if (st.schema === undefined) {
        let buffered = 0;
        for (const n of st.counts.values()) buffered += n;
        this.#ctx.warn('ddb_orphan_items', { encoded_table: st.segment, buffered_items: buffered });
        continue;
      }
      const { generation: a, migratingFromGeneration: m } = st.schema;
      let stale = 0;
      for (const [gen, n] of st.counts) if (gen !== a && !(m !== 0n && gen === m)) stale += n;
      await this.#ctx.tree.mkdir(`${this.#dir(st)}/items`);
      await this.#ctx.tree.writeFile(`${this.#dir(st)}/_schema.json`, renderSchemaJson(st.schema));
      if (stale > 0) {
        this.#ctx.warn('ddb_stale_generation_items', {
          table: st.schema.tableName,
          active_generation: a,
          migration_source_generation: m,
          stale_count: stale,
          hint: 'stale-gen rows excluded; restore would otherwise emit them under the new schema',
        });
      }
    }
    if (this.#items === undefined) return;
    const byPath =
      jsonl ||
      [...this.#tables.values()].some(
        (t) =>
          t.schema !== undefined &&
          t.schema.migratingFromGeneration !== 0n &&
          t.schema.migratingFromGeneration !== t.schema.generation,
      );
    if (byPath) await this.#writeByPath(jsonl);
    else await this.#writeInArrivalOrder();
  }

  /**
   * The item of a buffered record (row key payload, then item) and its path, once the payload is checked against
   * the item: a mismatch fails the decode naming the row key, or with --salvage sets the table apart whole
   * (undefined then). The path comes first, so that an item without a usable key fails as before.
   */
  async #checkedItem(st: TableState, gen: bigint, v: Buffer): Promise<{ item: Item; rel: string } | undefined> {
    const n = v.readUInt32BE(0);
    const payload = v.subarray(4, 4 + n);
    const item = readItem(v.subarray(4 + n));
    const schema = st.schema as TableSchema;
    const rel = itemRelPath(item, schema.primaryKey?.hashKey ?? '', schema.primaryKey?.rangeKey ?? '');
    const problem = itemKeyProblem(schema, gen, payload, item);
    if (problem === undefined) return { item, rel };
    const key = Buffer.concat([Buffer.from(`${ITEM_PREFIX}${st.segment}|${gen}|`, 'latin1'), payload]);
    const error = invalidItem(`table ${JSON.stringify(schema.tableName)}: ${problem}`, { key });
    this.#damaged.add(st);
    this.#damagedDirs.add(this.#dir(st));
    await this.#ctx.damaged({ error, rows: { scope: st.rawName as Buffer }, written: [this.#dir(st)] });
    return undefined;
  }

  #dir(st: TableState): string {
    return `dynamodb/${encodeSegment(st.rawName as Buffer)}`;
  }

  /** Rank of a generation in the emission order (migration source first), or undefined when not emitted. */
  #rank(st: TableState, gen: bigint): number | undefined {
    const { generation: a, migratingFromGeneration: m } = st.schema as TableSchema;
    if (gen === a) return 1;
    if (m !== 0n && m !== a && gen === m) return 0;
    return undefined;
  }

  /** The common case: one emitted generation per table, files written as the sorter yields them. */
  async #writeInArrivalOrder(): Promise<void> {
    for await (const rec of (this.#items as ExternalSorter).sorted()) {
      const key = asBuffer(rec.key);
      const st = this.#tables.get(key.subarray(0, key.indexOf(0)).toString('latin1')) as TableState;
      if (st.schema === undefined || this.#damaged.has(st)) continue;
      const gen = key.readBigUInt64BE(key.length - 16);
      if (this.#rank(st, gen) === undefined) continue;
      const checked = await this.#checkedItem(st, gen, asBuffer(rec.value));
      if (checked === undefined) continue;
      const { item, rel } = checked;
      const slash = rel.lastIndexOf('/');
      if (slash > 'items'.length) await this.#ctx.tree.mkdir(`${this.#dir(st)}/${rel.slice(0, slash)}`);
      await this.#ctx.tree.writeFile(`${this.#dir(st)}/${rel}`, renderItemJson(item));
    }
  }

  /**
   * Items regrouped by path so the last write per path wins as in the reference (migration source first, then
   * the active generation, each in arrival order); also the JSONL bundle writer.
   */
  async #writeByPath(jsonl: boolean): Promise<void> {
    const byPath = this.#ctx.newSorter();
    for await (const rec of (this.#items as ExternalSorter).sorted()) {
      const key = asBuffer(rec.key);
      const st = this.#tables.get(key.subarray(0, key.indexOf(0)).toString('latin1')) as TableState;
      if (st.schema === undefined || this.#damaged.has(st)) continue;
      const gen = key.readBigUInt64BE(key.length - 16);
      const rank = this.#rank(st, gen);
      if (rank === undefined) continue;
      const checked = await this.#checkedItem(st, gen, asBuffer(rec.value));
      if (checked === undefined) continue;
      const { item, rel } = checked;
      await byPath.add(
        Buffer.concat([Buffer.from(this.#dir(st), 'latin1'), Buffer.from([0]), Buffer.from(rel, 'latin1'), Buffer.from([0, rank]), key.subarray(key.length - 8)]),
        Buffer.from(jsonl ? renderItemLine(item) : renderItemJson(item), 'utf8'),
      );
    }
    let pending: { dir: string; rel: string; body: Uint8Array } | undefined;
    const bundle = { dir: '', part: 0, sink: undefined as FileSink | undefined };
    const flush = async (p: { dir: string; rel: string; body: Uint8Array }): Promise<void> => {
      if (!jsonl) {
        const slash = p.rel.lastIndexOf('/');
        if (slash > 'items'.length) await this.#ctx.tree.mkdir(`${p.dir}/${p.rel.slice(0, slash)}`);
        await this.#ctx.tree.writeFile(`${p.dir}/${p.rel}`, p.body);
        return;
      }
      if (bundle.dir !== p.dir) {
        await bundle.sink?.close();
        bundle.dir = p.dir;
        bundle.part = 0;
        bundle.sink = await this.#ctx.tree.create(`${p.dir}/items/${bundlePartName(0)}`);
      } else if (
        bundle.sink !== undefined &&
        bundle.sink.bytes > 0 &&
        bundle.sink.bytes + p.body.length > this.#ctx.switches.dynamodbBundleBytes
      ) {
        await bundle.sink.close();
        bundle.part++;
        bundle.sink = await this.#ctx.tree.create(`${p.dir}/items/${bundlePartName(bundle.part)}`);
      }
      await (bundle.sink as FileSink).write(p.body);
    };
    try {
      for await (const rec of byPath.sorted()) {
        const key = asBuffer(rec.key);
        const sep1 = key.indexOf(0);
        const sep2 = key.indexOf(0, sep1 + 1);
        const cur = { dir: key.subarray(0, sep1).toString('latin1'), rel: key.subarray(sep1 + 1, sep2).toString('latin1'), body: rec.value };
        // A table set apart (--salvage) after some of its items were regrouped: none of them is written.
        if (this.#damagedDirs.has(cur.dir)) continue;
        if (pending !== undefined && (pending.dir !== cur.dir || pending.rel !== cur.rel)) await flush(pending);
        pending = cur;
      }
      if (pending !== undefined) await flush(pending);
    } finally {
      await bundle.sink?.close();
    }
  }
}
