// The DynamoDB protobuf messages (spec dynamodb.md §1.6; elastickv: proto/dynamodb_internal.proto), read with
// protobuf-go's Unmarshal rules and written as protobuf-go's deterministic Marshal writes them: fields in number
// order, zero scalars omitted, a set oneof member or sub-message always written, map entries sorted by key bytes
// with both key and value present, repeated strings never packed.

import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { readItemFast } from './item-reader.ts';

export interface KeySchema {
  hashKey: string;
  rangeKey: string;
}

interface Projection {
  projectionType: string;
  nonKeyAttributes: string[];
}

interface GlobalSecondaryIndex {
  keySchema: KeySchema | undefined;
  projection: Projection | undefined;
}

export interface TableSchema {
  tableName: string;
  attributeDefinitions: Map<string, string>;
  primaryKey: KeySchema | undefined;
  globalSecondaryIndexes: Map<string, GlobalSecondaryIndex>;
  keyEncodingVersion: bigint;
  migratingFromGeneration: bigint;
  generation: bigint;
}

export type AttributeValue =
  | { readonly kind: 'S'; readonly value: string }
  | { readonly kind: 'N'; readonly value: string }
  | { readonly kind: 'B'; readonly value: Uint8Array }
  | { readonly kind: 'BOOL'; readonly value: boolean }
  | { readonly kind: 'NULL'; readonly value: boolean }
  | { readonly kind: 'SS'; readonly value: string[] }
  | { readonly kind: 'NS'; readonly value: string[] }
  | { readonly kind: 'BS'; readonly value: Uint8Array[] }
  | { readonly kind: 'L'; readonly value: AttributeValue[] }
  | { readonly kind: 'M'; readonly value: Map<string, AttributeValue> }
  | { readonly kind: 'unset' };

export type Item = Map<string, AttributeValue>;

export class ProtoError extends Error {}

// ---- reading ------------------------------------------------------------------------------------------------

const LEN = WireType.LengthDelimited;
const VARINT = WireType.Varint;

/** Validates and decodes in one native pass; a leading U+FEFF is kept (it is part of the string). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A proto3 string: valid UTF-8, as protobuf-go requires. */
function utf8Text(b: Uint8Array): string {
  try {
    return UTF8.decode(b);
  } catch {
    throw new ProtoError('string field contains invalid UTF-8');
  }
}

function str(r: BinaryReader): string {
  return utf8Text(r.bytes());
}

function u64(r: BinaryReader): bigint {
  return BigInt(r.uint64());
}

/** Runs `field` for every field of a message; wrong wire types and unknown fields are skipped. */
function readMessage(bytes: Uint8Array, field: (r: BinaryReader, no: number, wt: WireType) => boolean): void {
  const r = new BinaryReader(bytes);
  try {
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      if (!field(r, no, wt)) r.skip(wt, no);
    }
  } catch (err) {
    if (err instanceof ProtoError) throw err;
    throw new ProtoError('proto: cannot parse invalid wire-format data');
  }
}

function readKeySchema(bytes: Uint8Array, into: KeySchema = { hashKey: '', rangeKey: '' }): KeySchema {
  readMessage(bytes, (r, no, wt) => {
    if (wt !== LEN) return false;
    if (no === 1) into.hashKey = str(r);
    else if (no === 2) into.rangeKey = str(r);
    else return false;
    return true;
  });
  return into;
}

function readProjection(bytes: Uint8Array, into: Projection = { projectionType: '', nonKeyAttributes: [] }): Projection {
  readMessage(bytes, (r, no, wt) => {
    if (wt !== LEN) return false;
    if (no === 1) into.projectionType = str(r);
    else if (no === 2) into.nonKeyAttributes.push(str(r));
    else return false;
    return true;
  });
  return into;
}

function readGsi(
  bytes: Uint8Array,
  into: GlobalSecondaryIndex = { keySchema: undefined, projection: undefined },
): GlobalSecondaryIndex {
  readMessage(bytes, (r, no, wt) => {
    if (wt !== LEN) return false;
    if (no === 1) into.keySchema = readKeySchema(r.bytes(), into.keySchema);
    else if (no === 2) into.projection = readProjection(r.bytes(), into.projection);
    else return false;
    return true;
  });
  return into;
}

/**
 * A map entry: field 1 key, field 2 value. `value` is the last occurrence (what a string value keeps);
 * `merged` is every occurrence concatenated (what a message value becomes: repeated message fields merge).
 */
function readEntry(bytes: Uint8Array): { key: string; value: Uint8Array | undefined; merged: Uint8Array } {
  const e = { key: '', value: undefined as Uint8Array | undefined, parts: [] as Uint8Array[] };
  readMessage(bytes, (r, no, wt) => {
    if (wt !== LEN) return false;
    if (no === 1) e.key = str(r);
    else if (no === 2) {
      e.value = r.bytes();
      e.parts.push(e.value);
    } else return false;
    return true;
  });
  return {
    key: e.key,
    value: e.value,
    merged: e.parts.length === 1 ? (e.parts[0] as Uint8Array) : Buffer.concat(e.parts),
  };
}

export function readTableSchema(bytes: Uint8Array): TableSchema {
  const s: TableSchema = {
    tableName: '',
    attributeDefinitions: new Map(),
    primaryKey: undefined,
    globalSecondaryIndexes: new Map(),
    keyEncodingVersion: 0n,
    migratingFromGeneration: 0n,
    generation: 0n,
  };
  readMessage(bytes, (r, no, wt) => {
    if (no >= 5 && no <= 7) {
      if (wt !== VARINT) return false;
      const v = u64(r);
      if (no === 5) s.keyEncodingVersion = v;
      else if (no === 6) s.migratingFromGeneration = v;
      else s.generation = v;
      return true;
    }
    if (wt !== LEN) return false;
    if (no === 1) s.tableName = str(r);
    else if (no === 2) {
      const e = readEntry(r.bytes());
      const vb = e.value;
      let v = '';
      if (vb !== undefined) v = utf8Text(vb);
      s.attributeDefinitions.set(e.key, v);
    } else if (no === 3) s.primaryKey = readKeySchema(r.bytes(), s.primaryKey);
    else if (no === 4) {
      const e = readEntry(r.bytes());
      s.globalSecondaryIndexes.set(e.key, readGsi(e.merged));
    } else return false;
    return true;
  });
  return s;
}

function readStrings(bytes: Uint8Array, into: string[]): string[] {
  readMessage(bytes, (r, no, wt) => {
    if (no !== 1 || wt !== LEN) return false;
    into.push(str(r));
    return true;
  });
  return into;
}

function readByteList(bytes: Uint8Array, into: Uint8Array[]): Uint8Array[] {
  readMessage(bytes, (r, no, wt) => {
    if (no !== 1 || wt !== LEN) return false;
    into.push(Uint8Array.from(r.bytes()));
    return true;
  });
  return into;
}

/**
 * Deepest nesting of lists and maps read from a snapshot. DynamoDB itself allows 32 levels; the cap only keeps a
 * hostile value from exhausting the stack (a ProtoError, which the decoder reports with the key).
 */
const MAX_ATTRIBUTE_DEPTH = 256;

function readAttributeMap(
  bytes: Uint8Array,
  into: Map<string, AttributeValue>,
  depth: number,
): Map<string, AttributeValue> {
  readMessage(bytes, (r, no, wt) => {
    if (no !== 1 || wt !== LEN) return false;
    const e = readEntry(r.bytes());
    into.set(e.key, readAttributeValue(e.merged, depth));
    return true;
  });
  return into;
}

function readAttributeValue(bytes: Uint8Array, depth = 0): AttributeValue {
  if (depth > MAX_ATTRIBUTE_DEPTH) throw new ProtoError(`attribute values nested deeper than ${MAX_ATTRIBUTE_DEPTH} levels`);
  let v: AttributeValue = { kind: 'unset' };
  readMessage(bytes, (r, no, wt) => {
    if (no === 4 || no === 5) {
      if (wt !== VARINT) return false;
      v = { kind: no === 4 ? 'BOOL' : 'NULL', value: r.bool() };
      return true;
    }
    if (wt !== LEN) return false;
    switch (no) {
      case 1:
        v = { kind: 'S', value: str(r) };
        return true;
      case 2:
        v = { kind: 'N', value: str(r) };
        return true;
      case 3:
        v = { kind: 'B', value: Uint8Array.from(r.bytes()) };
        return true;
      case 6:
      case 7: {
        const kind = no === 6 ? 'SS' : 'NS';
        v = { kind, value: readStrings(r.bytes(), v.kind === kind ? v.value : []) };
        return true;
      }
      case 8:
        v = { kind: 'BS', value: readByteList(r.bytes(), v.kind === 'BS' ? v.value : []) };
        return true;
      case 9: {
        const list: AttributeValue[] = v.kind === 'L' ? v.value : [];
        readMessage(r.bytes(), (lr, lno, lwt) => {
          if (lno !== 1 || lwt !== LEN) return false;
          list.push(readAttributeValue(lr.bytes(), depth + 1));
          return true;
        });
        v = { kind: 'L', value: list };
        return true;
      }
      case 10:
        v = { kind: 'M', value: readAttributeMap(r.bytes(), v.kind === 'M' ? v.value : new Map<string, AttributeValue>(), depth + 1) };
        return true;
      default:
        return false;
    }
  });
  return v;
}

/** An item message: read in place when it has the usual shape (item-reader.ts), else by protobuf-go's rules. */
export function readItem(bytes: Uint8Array): Item {
  return readItemFast(bytes) ?? readItemGeneral(bytes);
}

/** An item message read field by field with protobuf-go's rules (unknown fields, merged members, errors). */
export function readItemGeneral(bytes: Uint8Array): Item {
  return readAttributeMap(bytes, new Map(), 0);
}

// ---- writing ------------------------------------------------------------------------------------------------

/** A map's entries in the byte order of their keys' UTF-8 (protobuf-go's deterministic map order). */
function byKeyBytes<T>(m: ReadonlyMap<string, T>): Array<[string, T]> {
  if (m.size < 2) return [...m];
  // Each key's bytes once (a comparator that encodes both keys did it twice per comparison).
  const keyed = [...m].map(([k, v]): [Buffer, string, T] => [Buffer.from(k, 'utf8'), k, v]);
  keyed.sort((a, b) => Buffer.compare(a[0], b[0]));
  return keyed.map(([, k, v]) => [k, v]);
}

function writeKeySchema(w: BinaryWriter, k: KeySchema): void {
  if (k.hashKey !== '') w.tag(1, LEN).string(k.hashKey);
  if (k.rangeKey !== '') w.tag(2, LEN).string(k.rangeKey);
}

export function writeTableSchema(s: TableSchema): Uint8Array {
  const w = new BinaryWriter();
  if (s.tableName !== '') w.tag(1, LEN).string(s.tableName);
  for (const [k, v] of byKeyBytes(s.attributeDefinitions))
    w.tag(2, LEN).fork().tag(1, LEN).string(k).tag(2, LEN).string(v).join();
  if (s.primaryKey !== undefined) {
    w.tag(3, LEN).fork();
    writeKeySchema(w, s.primaryKey);
    w.join();
  }
  for (const [name, gsi] of byKeyBytes(s.globalSecondaryIndexes)) {
    w.tag(4, LEN).fork().tag(1, LEN).string(name).tag(2, LEN).fork();
    if (gsi.keySchema !== undefined) {
      w.tag(1, LEN).fork();
      writeKeySchema(w, gsi.keySchema);
      w.join();
    }
    if (gsi.projection !== undefined) {
      w.tag(2, LEN).fork();
      if (gsi.projection.projectionType !== '') w.tag(1, LEN).string(gsi.projection.projectionType);
      for (const a of gsi.projection.nonKeyAttributes) w.tag(2, LEN).string(a);
      w.join();
    }
    w.join().join();
  }
  if (s.keyEncodingVersion !== 0n) w.tag(5, VARINT).uint64(s.keyEncodingVersion);
  if (s.migratingFromGeneration !== 0n) w.tag(6, VARINT).uint64(s.migratingFromGeneration);
  if (s.generation !== 0n) w.tag(7, VARINT).uint64(s.generation);
  return w.finish();
}

function writeAttributeValue(w: BinaryWriter, v: AttributeValue): void {
  switch (v.kind) {
    case 'S':
      w.tag(1, LEN).string(v.value);
      return;
    case 'N':
      w.tag(2, LEN).string(v.value);
      return;
    case 'B':
      w.tag(3, LEN).bytes(v.value);
      return;
    case 'BOOL':
      w.tag(4, VARINT).bool(v.value);
      return;
    case 'NULL':
      w.tag(5, VARINT).bool(v.value);
      return;
    case 'SS':
    case 'NS':
      w.tag(v.kind === 'SS' ? 6 : 7, LEN).fork();
      for (const s of v.value) w.tag(1, LEN).string(s);
      w.join();
      return;
    case 'BS':
      w.tag(8, LEN).fork();
      for (const b of v.value) w.tag(1, LEN).bytes(b);
      w.join();
      return;
    case 'L':
      w.tag(9, LEN).fork();
      for (const e of v.value) {
        w.tag(1, LEN).fork();
        writeAttributeValue(w, e);
        w.join();
      }
      w.join();
      return;
    case 'M':
      w.tag(10, LEN).fork();
      writeAttributeMap(w, v.value);
      w.join();
      return;
    case 'unset':
      return;
  }
}

function writeAttributeMap(w: BinaryWriter, m: ReadonlyMap<string, AttributeValue>): void {
  for (const [k, v] of byKeyBytes(m)) {
    w.tag(1, LEN).fork().tag(1, LEN).string(k).tag(2, LEN).fork();
    writeAttributeValue(w, v);
    w.join().join();
  }
}

/** The writer of every item: its buffer grows to the largest item once (a new BinaryWriter grows one per item). */
const itemWriter = new BinaryWriter();

/** The DynamoItem message of `item`, after `head` (bytes written first as they are; none by default). */
export function writeItem(item: Item, head?: Uint8Array): Uint8Array {
  try {
    if (head !== undefined) itemWriter.raw(head);
    writeAttributeMap(itemWriter, item);
    return itemWriter.finish();
  } catch (err) {
    // finish() also resets the writer, so a failed item leaves nothing behind for the next one.
    itemWriter.finish();
    throw err;
  }
}
