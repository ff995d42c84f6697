// Snapshot rows covering the DynamoDB families. The `orders` schema and item are the worked bytes of
// dynamodb.md §1.7 (hand-derived, typed in as hex); the other values are built with the adapter's protobuf
// writer, which the §1.7 bytes pin.
import { writeItem, writeTableSchema, type AttributeValue, type TableSchema } from '../../../src/adapters/dynamodb/proto.ts';
import type { FsmRow } from '../../helpers/fsm.ts';
import { itemKey } from '../../../src/adapters/dynamodb/keys.ts';
import { numericKeyBytes } from '../../../src/adapters/dynamodb/numbers.ts';

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const cat = (...p: Array<string | Buffer>): Buffer => Buffer.concat(p.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x)));
const b64u = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
const DS = hex('00445301');
const DI = hex('00444901');

export const ORDERS_SCHEMA_GEN1 = hex(`0A 06 6F 72 64 65 72 73 12 06 0A 01 67 12 01 53 12 07 0A 02 70 6B 12 01 53 12 07 0A 02 73 6B 12 01 4E
  1A 08 0A 02 70 6B 12 02 73 6B 22 14 0A 04 62 79 2D 67 12 0C 0A 03 0A 01 67 12 05 0A 03 41 4C 4C 28 02 38 01`);
export const ORDERS_ITEM = hex(`0A 08 0A 01 67 12 03 0A 01 78
  0A 1B 0A 01 6D 12 16 52 14 0A 09 0A 01 61 12 04 1A 02 00 01 0A 07 0A 01 7A 12 02 20 01
  0A 0A 0A 02 70 6B 12 04 0A 02 75 31 0A 0B 0A 02 73 6B 12 05 12 03 31 2E 35 0A 10 0A 04 74 61 67 73 12 08 32 06 0A 01 62 0A 01 61`);
export const ORDERS_ITEM_KEY_GEN1 = cat('!ddb|item|b3JkZXJz|1|', hex('75 31 00 01 02 02 01 01 00 FF 31 35 00 01'));

const schema = (s: Partial<TableSchema> & { tableName: string }): Buffer =>
  cat(
    DS,
    Buffer.from(
      writeTableSchema({
        attributeDefinitions: new Map(),
        primaryKey: undefined,
        globalSecondaryIndexes: new Map(),
        keyEncodingVersion: 2n,
        migratingFromGeneration: 0n,
        generation: 1n,
        ...s,
      }),
    ),
  );
const item = (attrs: Array<[string, AttributeValue]>): Buffer => cat(DI, Buffer.from(writeItem(new Map(attrs))));
const S = (value: string): AttributeValue => ({ kind: 'S', value });
const N = (value: string): AttributeValue => ({ kind: 'N', value });
const B = (...b: number[]): AttributeValue => ({ kind: 'B', value: Uint8Array.from(b) });

export const DDB_ROWS: FsmRow[] = [
  // orders at generation 7 (§5): one live item, one stale generation-5 item, a GSI row and the counter.
  { key: cat('!ddb|gsi|b3JkZXJz|7|YnktZw|', hex('78 00 01 75 31 00 01 02 02 01 01 00 FF 31 35 00 01')), value: cat('!ddb|item|b3JkZXJz|7|', hex('75 31 00 01 02 02 01 01 00 FF 31 35 00 01')) },
  { key: cat('!ddb|item|b3JkZXJz|5|', hex('75 32 00 01 01 00 01')), value: item([['pk', S('u2')], ['sk', N('0')]]) },
  { key: cat('!ddb|item|b3JkZXJz|7|', hex('75 31 00 01 02 02 01 01 00 FF 31 35 00 01')), value: cat(DI, ORDERS_ITEM) },
  { key: '!ddb|meta|gen|b3JkZXJz', value: '7' },
  { key: '!ddb|meta|table|b3JkZXJz', value: cat(DS, ORDERS_SCHEMA_GEN1.subarray(0, ORDERS_SCHEMA_GEN1.length - 1), hex('07')) },
  // sessions: hash-only, every attribute kind, names needing escapes.
  {
    key: cat('!ddb|item|', b64u('sessions'), '|1|', 'a<b>:c', hex('00 01')),
    value: item([
      ['id', S('a<b>:c')],
      ['n', N('-12.50')],
      ['b', B(0, 1, 2)],
      ['t', { kind: 'BOOL', value: false }],
      ['nul', { kind: 'NULL', value: false }],
      ['ss', { kind: 'SS', value: [] }],
      ['ns', { kind: 'NS', value: ['3', '1', '3'] }],
      ['bs', { kind: 'BS', value: [Uint8Array.from([255]), new Uint8Array()] }],
      ['l', { kind: 'L', value: [S('x'), { kind: 'unset' }, { kind: 'M', value: new Map() }] }],
      ['m', { kind: 'M', value: new Map<string, AttributeValue>([['\u2028', S('&')], ['é', N('1e2')], ['A', { kind: 'L', value: [] }]]) }],
      ['u', { kind: 'unset' }],
    ]),
  },
  { key: cat('!ddb|item|', b64u('sessions'), '|1|', 'k'.repeat(300), hex('00 01')), value: item([['id', S('k'.repeat(300))]]) },
  { key: cat('!ddb|meta|table|', b64u('sessions')), value: schema({ tableName: 'sessions', attributeDefinitions: new Map([['id', 'S']]), primaryKey: { hashKey: 'id', rangeKey: '' } }) },
  // blobs: binary hash key.
  { key: cat('!ddb|item|', b64u('blobs'), '|1|', hex('00 FF 01 02 00 01')), value: item([['k', B(0, 1, 2)]]) },
  { key: cat('!ddb|meta|table|', b64u('blobs')), value: schema({ tableName: 'blobs', attributeDefinitions: new Map([['k', 'B']]), primaryKey: { hashKey: 'k', rangeKey: '' } }) },
  // events: composite with N range keys, two GSIs (one with a range key, one INCLUDE), mid-migration from generation 2.
  // Generation 2 (the migration source) keys items in the legacy layout b64u(h) "|" b64u(r), N as its text;
  // generation 3 in the ordered layout seg(h) seg(numkey(r)) (spec §1.4).
  { key: cat('!ddb|item|', b64u('events'), '|2|', `${b64u('d1')}|${b64u('1e2')}`), value: item([['dev', S('d1')], ['ts', N('1e2')], ['v', S('old only')]]) },
  { key: cat('!ddb|item|', b64u('events'), '|2|', `${b64u('d1')}|${b64u('-12.5')}`), value: item([['dev', S('d1')], ['ts', N('-12.5')], ['v', S('old copy')]]) },
  { key: itemKey('events', 3n, Buffer.from('d1'), numericKeyBytes('-12.50')), value: item([['dev', S('d1')], ['ts', N('-12.50')], ['v', S('new copy')], ['kind', S('k')]]) },
  { key: itemKey('events', 3n, Buffer.from('2026-04-29T12:00:00Z'), numericKeyBytes('0.001')), value: item([['dev', S('2026-04-29T12:00:00Z')], ['ts', N('0.001')], ['kind', S('k')], ['at', N('5')]]) },
  {
    key: cat('!ddb|meta|table|', b64u('events')),
    value: schema({
      tableName: 'events',
      attributeDefinitions: new Map([['dev', 'S'], ['ts', 'N'], ['kind', 'S'], ['at', 'N']]),
      primaryKey: { hashKey: 'dev', rangeKey: 'ts' },
      globalSecondaryIndexes: new Map([
        ['by-kind', { keySchema: { hashKey: 'kind', rangeKey: 'at' }, projection: { projectionType: 'INCLUDE', nonKeyAttributes: ['v', 'dev'] } }],
        ['by-kind-all', { keySchema: { hashKey: 'kind', rangeKey: '' }, projection: { projectionType: 'KEYS_ONLY', nonKeyAttributes: [] } }],
      ]),
      generation: 3n,
      migratingFromGeneration: 2n,
    }),
  },
  // An item whose table has no schema.
  { key: cat('!ddb|item|', b64u('ghost'), '|1|', 'x', hex('00 01')), value: item([['id', S('x')]]) },
];
