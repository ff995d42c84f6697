// The DynamoDB files of the dump tree (spec dynamodb.md §2.6, §2.7, §3.2, §3.5; elastickv:
// internal/backup/dynamodb.go (schemaToPublic, itemToPublic), encode_dynamodb.go, encode_dynamodb_items.go).
//
// `_schema.json` and item files are json.MarshalIndent (HTML escaping on, no trailing newline). Items are DynamoDB
// JSON: a map from attribute name to a one-member `{TYPE: value}` object, names sorted by UTF-8 bytes.

import { decodeStdBase64, encodeStdBase64 } from '../../bytes/base64-std.ts';
import { GoMap, goMarshal, type GoJson } from '../../json/go-json.ts';
import { JsonObject, JsonTypeError, readArray, readString, readUint, type JsonValue } from '../../json/go-json-read.ts';
import { dynamoNumberProblem } from './numbers.ts';
import type { AttributeValue, Item, KeySchema, TableSchema } from './proto.ts';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const sortedByBytes = <T,>(entries: Iterable<[string, T]>): Array<[string, T]> =>
  [...entries].sort((a, b) => Buffer.compare(utf8(a[0]), utf8(b[0])));

function keyAttribute(name: string, defs: ReadonlyMap<string, string>): GoJson {
  const type = defs.get(name);
  return { name: name === '' ? undefined : name, type: type === undefined || type === '' ? undefined : type };
}

function publicKeySchema(k: KeySchema | undefined, defs: ReadonlyMap<string, string>): GoJson {
  return {
    hash_key: keyAttribute(k?.hashKey ?? '', defs),
    range_key: k === undefined || k.rangeKey === '' ? {} : keyAttribute(k.rangeKey, defs),
  };
}

export function renderSchemaJson(s: TableSchema): string {
  const gsis = sortedByBytes(s.globalSecondaryIndexes).map(([name, g]) => ({
    name,
    key_schema: publicKeySchema(g.keySchema, s.attributeDefinitions),
    projection: {
      type: g.projection?.projectionType ?? '',
      non_key_attributes:
        g.projection === undefined || g.projection.nonKeyAttributes.length === 0
          ? undefined
          : g.projection.nonKeyAttributes,
    },
  }));
  return goMarshal(
    {
      format_version: 1n,
      table_name: s.tableName,
      primary_key: publicKeySchema(s.primaryKey, s.attributeDefinitions),
      attribute_definitions: sortedByBytes(s.attributeDefinitions).map(([name, type]) => ({ name, type })),
      global_secondary_indexes: gsis.length === 0 ? undefined : gsis,
    },
    { escapeHTML: true, indent: true },
  );
}

function publicValue(v: AttributeValue): GoJson {
  switch (v.kind) {
    case 'S':
    case 'N':
      return new GoMap([[v.kind, v.value]]);
    case 'B':
      return new GoMap([['B', encodeStdBase64(v.value)]]);
    case 'BOOL':
    case 'NULL':
      return new GoMap([[v.kind, v.value]]);
    case 'SS':
    case 'NS':
      return new GoMap([[v.kind, v.value]]);
    case 'BS':
      return new GoMap([['BS', v.value.map(encodeStdBase64)]]);
    case 'L':
      return new GoMap([['L', v.value.map(publicValue)]]);
    case 'M':
      return new GoMap([['M', publicItem(v.value)]]);
    case 'unset':
      return new GoMap([['NULL', true]]);
  }
}

function publicItem(item: ReadonlyMap<string, AttributeValue>): GoMap {
  return new GoMap([...item].map(([k, v]) => [k, publicValue(v)] as const));
}

/** An item file's bytes (MarshalIndent, no newline). */
export function renderItemJson(item: Item): string {
  return goMarshal(publicItem(item), { escapeHTML: true, indent: true });
}

/** One line of DynamoDB's S3 export format (DYNAMODB_JSON): `{"Item":{…}}` and a newline. */
export function renderExportLine(item: Item): string {
  return goMarshal(new GoMap([['Item', publicItem(item)]]), { escapeHTML: false, indent: false }) + '\n';
}

/** One JSONL bundle line (json.Marshal plus a newline). */
export function renderItemLine(item: Item): string {
  return goMarshal(publicItem(item), { escapeHTML: true, indent: false }) + '\n';
}

// ---- reading (encoder) ----------------------------------------------------------------------------------------

export interface PublicSchema {
  readonly formatVersion: bigint;
  readonly tableName: string;
  readonly hashKey: string;
  readonly rangeKey: string;
  readonly attributeDefinitions: ReadonlyArray<readonly [string, string]>;
  readonly gsis: ReadonlyArray<{
    readonly name: string;
    readonly hashKey: string;
    readonly rangeKey: string;
    readonly projectionType: string;
    readonly nonKeyAttributes: string[];
  }>;
}

function object(v: JsonValue | undefined, field: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof JsonObject)) throw new JsonTypeError(`${field}: cannot unmarshal into an object`);
  return v;
}

function keyNames(v: JsonValue | undefined, field: string): { hash: string; range: string } {
  const o = object(v, field);
  const name = (k: string): string => readString(object(o?.field(k), `${field}.${k}`)?.field('name'), `${field}.${k}.name`);
  return { hash: name('hash_key'), range: name('range_key') };
}

export function parseSchemaJson(v: JsonValue): PublicSchema {
  const o = object(v, '_schema.json');
  if (o === undefined) throw new JsonTypeError('_schema.json: not a JSON object');
  const pk = keyNames(o.field('primary_key'), 'primary_key');
  const defs = (readArray(o.field('attribute_definitions'), 'attribute_definitions') ?? []).map((d, i) => {
    const e = object(d, `attribute_definitions[${i}]`);
    return [readString(e?.field('name'), 'name'), readString(e?.field('type'), 'type')] as const;
  });
  const gsis = (readArray(o.field('global_secondary_indexes'), 'global_secondary_indexes') ?? []).map((g, i) => {
    const e = object(g, `global_secondary_indexes[${i}]`);
    const ks = keyNames(e?.field('key_schema'), `global_secondary_indexes[${i}].key_schema`);
    const proj = object(e?.field('projection'), 'projection');
    return {
      name: readString(e?.field('name'), 'name'),
      hashKey: ks.hash,
      rangeKey: ks.range,
      projectionType: readString(proj?.field('type'), 'projection.type'),
      nonKeyAttributes: (readArray(proj?.field('non_key_attributes'), 'non_key_attributes') ?? []).map((a) => readString(a, 'non_key_attributes')),
    };
  });
  return {
    formatVersion: readUint(o.field('format_version'), 'format_version', 32),
    tableName: readString(o.field('table_name'), 'table_name'),
    hashKey: pk.hash,
    rangeKey: pk.range,
    attributeDefinitions: defs,
    gsis,
  };
}

function binary(v: JsonValue): Uint8Array {
  if (typeof v !== 'string') throw new JsonTypeError('binary value is not a base64 string');
  const out = decodeStdBase64(v);
  if (out === undefined) throw new JsonTypeError(`binary value is not valid base64: illegal base64 data`);
  return out;
}

function strings(v: JsonValue): string[] {
  if (!Array.isArray(v)) throw new JsonTypeError('set value is not an array');
  return v.map((e) => {
    if (typeof e !== 'string') throw new JsonTypeError('set element is not a string');
    return e;
  });
}

/** Collapses duplicate keys (last wins) the way decoding into a Go map does. */
function mapEntries(o: JsonObject): Map<string, JsonValue> {
  const m = new Map<string, JsonValue>();
  for (const [k, v] of o.entries) {
    m.delete(k);
    m.set(k, v);
  }
  return m;
}

function attributeValue(v: JsonValue, where: string): AttributeValue {
  if (!(v instanceof JsonObject)) throw new JsonTypeError(`${where} is not an object`);
  const members = mapEntries(v);
  if (members.size !== 1) throw new JsonTypeError(`${where}: attribute object must have exactly one type key, got ${members.size}`);
  const [type, value] = [...members][0] as [string, JsonValue];
  switch (type) {
    case 'S':
      if (typeof value !== 'string') throw new JsonTypeError(`${where}: S value is not a string`);
      return { kind: 'S', value };
    case 'N': {
      if (typeof value !== 'string') throw new JsonTypeError(`${where}: N value is not a string`);
      const problem = dynamoNumberProblem(value);
      if (problem !== undefined) throw new JsonTypeError(`${where}: ${problem}`);
      return { kind: 'N', value };
    }
    case 'B':
      return { kind: 'B', value: binary(value) };
    case 'BOOL':
    case 'NULL':
      if (typeof value !== 'boolean') throw new JsonTypeError(`${where}: ${type} value is not a boolean`);
      return { kind: type, value };
    case 'SS':
      return { kind: 'SS', value: strings(value) };
    case 'NS': {
      const ns = strings(value);
      for (const n of ns) {
        const problem = dynamoNumberProblem(n);
        if (problem !== undefined) throw new JsonTypeError(`${where}: NS element ${problem}`);
      }
      return { kind: 'NS', value: ns };
    }
    case 'BS':
      if (!Array.isArray(value)) throw new JsonTypeError(`${where}: BS value is not an array`);
      return { kind: 'BS', value: value.map(binary) };
    case 'L':
      if (!Array.isArray(value)) throw new JsonTypeError(`${where}: L value is not an array`);
      return {
        kind: 'L',
        value: value.map((e, i) => {
          if (!(e instanceof JsonObject)) throw new JsonTypeError(`${where}: L element is not an object`);
          return attributeValue(e, `${where}.L[${i}]`);
        }),
      };
    case 'M': {
      if (!(value instanceof JsonObject)) throw new JsonTypeError(`${where}: M value is not an object`);
      const out = new Map<string, AttributeValue>();
      for (const [k, e] of mapEntries(value)) {
        if (!(e instanceof JsonObject)) throw new JsonTypeError(`${where}: M[${JSON.stringify(k)}] is not an object`);
        out.set(k, attributeValue(e, `${where}.M[${JSON.stringify(k)}]`));
      }
      return { kind: 'M', value: out };
    }
    default:
      throw new JsonTypeError(`${where}: unknown attribute type ${JSON.stringify(type)}`);
  }
}

/**
 * Why an item read from a snapshot would not encode back, by the encoder's number rule (every `N` and `NS` value,
 * nested ones too, must pass dynamoNumberProblem); undefined when it would. Named as parseItemJson names it.
 */
export function itemNumberProblem(item: Item): string | undefined {
  const walk = (v: AttributeValue, where: string): string | undefined => {
    switch (v.kind) {
      case 'N': {
        const problem = dynamoNumberProblem(v.value);
        return problem === undefined ? undefined : `${where}: ${problem}`;
      }
      case 'NS':
        for (const n of v.value) {
          const problem = dynamoNumberProblem(n);
          if (problem !== undefined) return `${where}: NS element ${problem}`;
        }
        return undefined;
      case 'L':
        for (const [i, e] of v.value.entries()) {
          const problem = walk(e, `${where}.L[${i}]`);
          if (problem !== undefined) return problem;
        }
        return undefined;
      case 'M':
        for (const [k, e] of v.value) {
          const problem = walk(e, `${where}.M[${JSON.stringify(k)}]`);
          if (problem !== undefined) return problem;
        }
        return undefined;
      default:
        return undefined;
    }
  };
  for (const [name, v] of item) {
    const problem = walk(v, `attribute ${JSON.stringify(name)}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** An item file's JSON (top-level null is an item without attributes). */
export function parseItemJson(v: JsonValue): Item {
  if (v === null) return new Map();
  if (!(v instanceof JsonObject)) throw new JsonTypeError('item is not a JSON object');
  const item: Item = new Map();
  for (const [name, value] of mapEntries(v)) {
    if (!(value instanceof JsonObject)) throw new JsonTypeError(`attribute ${JSON.stringify(name)} is not an object`);
    item.set(name, attributeValue(value, `attribute ${JSON.stringify(name)}`));
  }
  return item;
}
