// The item row key check (issue 15): a row's primary-key payload must be the key of the item its value holds, in
// the layout its generation uses (spec dynamodb.md §1.4), else decode would write the item under another item's name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { itemKey } from '../../../src/adapters/dynamodb/keys.ts';
import { itemKeyProblem } from '../../../src/adapters/dynamodb/row-key.ts';
import type { AttributeValue, Item, TableSchema } from '../../../src/adapters/dynamodb/proto.ts';
import { keyBytes } from '../../../src/adapters/dynamodb/encode.ts';

const S = (value: string): AttributeValue => ({ kind: 'S', value });
const N = (value: string): AttributeValue => ({ kind: 'N', value });
const B = (value: Uint8Array): AttributeValue => ({ kind: 'B', value });

function schema(rangeKey: string, keyEncodingVersion = 2n, generation = 3n, migratingFromGeneration = 0n): TableSchema {
  return {
    tableName: 't',
    attributeDefinitions: new Map(),
    primaryKey: { hashKey: 'h', rangeKey },
    globalSecondaryIndexes: new Map(),
    keyEncodingVersion,
    migratingFromGeneration,
    generation,
  };
}

const item = (attrs: Record<string, AttributeValue>): Item => new Map(Object.entries(attrs));
/** The payload of itemKey (what the encoder, like the node, writes after `!ddb|item|<t>|<gen>|`). */
function orderedPayload(h: AttributeValue, r?: AttributeValue): Buffer {
  const key = itemKey('t', 3n, keyBytes(h), r === undefined ? undefined : keyBytes(r));
  return key.subarray(`!ddb|item|${Buffer.from('t').toString('base64url')}|3|`.length);
}

test('ordered layout: the payload the encoder writes for an item passes, any other item is refused', () => {
  const a = item({ h: S('d1'), r: N('100'), x: S('v') });
  const b = item({ h: S('d1'), r: N('-25/2'.replace('/', '.')), x: S('w') });
  const s = schema('r');
  assert.equal(itemKeyProblem(s, 3n, orderedPayload(S('d1'), N('100')), a), undefined);
  assert.match(itemKeyProblem(s, 3n, orderedPayload(S('d1'), N('100')), b) ?? '', /its row key is not the key of the item its value holds \(by "h" and "r", ordered layout\)/);
  // Numbers compare by value, as their key bytes do: 1e2 is 100.
  assert.equal(itemKeyProblem(s, 3n, orderedPayload(S('d1'), N('100')), item({ h: S('d1'), r: N('1e2') })), undefined);
  // A hash-only table: one segment; a binary key.
  const bin = new Uint8Array([0, 1, 0xff]);
  assert.equal(itemKeyProblem(schema(''), 3n, orderedPayload(B(bin)), item({ h: B(bin) })), undefined);
  assert.ok(itemKeyProblem(schema(''), 3n, orderedPayload(B(bin)), item({ h: B(new Uint8Array([0, 1])) })) !== undefined);
  // An N key the ordered encoding cannot hold is refused with its reason.
  assert.match(itemKeyProblem(s, 3n, orderedPayload(S('d1'), N('1')), item({ h: S('d1'), r: N('abc') })) ?? '', /ordered layout\): /);
});

test('legacy layout (version 0 tables and the source generation of a migration): b64u(h) "|" b64u(r)', () => {
  const it = item({ h: S('k'), r: N('1.50') });
  const legacy = Buffer.from(`${Buffer.from('k').toString('base64url')}|${Buffer.from('1.50').toString('base64url')}`, 'latin1');
  assert.equal(itemKeyProblem(schema('r', 0n), 7n, legacy, it), undefined);
  // The migration source generation of a version 2 table is legacy; its active generation is ordered.
  assert.equal(itemKeyProblem(schema('r', 2n, 3n, 2n), 2n, legacy, it), undefined);
  assert.ok(itemKeyProblem(schema('r', 2n, 3n, 2n), 3n, legacy, it) !== undefined);
  // N keys are their raw text there: 1.5 is not 1.50.
  assert.ok(itemKeyProblem(schema('r', 0n), 7n, legacy, item({ h: S('k'), r: N('1.5') })) !== undefined);
  // Hash-only: an empty range, with or without the trailing "|".
  const hashOnly = `${Buffer.from('k').toString('base64url')}|`;
  assert.equal(itemKeyProblem(schema('', 0n), 1n, Buffer.from(hashOnly, 'latin1'), item({ h: S('k') })), undefined);
  assert.equal(itemKeyProblem(schema('', 0n), 1n, Buffer.from(hashOnly.slice(0, -1), 'latin1'), item({ h: S('k') })), undefined);
  assert.ok(itemKeyProblem(schema('', 0n), 1n, Buffer.from(hashOnly, 'latin1'), item({ h: S('j') })) !== undefined);
});

test('an item without its key attributes is left to the writer (it names that error)', () => {
  assert.equal(itemKeyProblem(schema('r'), 3n, Buffer.from('x'), item({ h: S('d1') })), undefined);
  assert.equal(itemKeyProblem(schema('r'), 3n, Buffer.from('x'), item({ r: S('d1') })), undefined);
});

test('property: an ordered payload passes for its own item and is refused for an item with another key', () => {
  const attr = fc.oneof(
    fc.string().map(S),
    fc.uint8Array({ maxLength: 12 }).map(B),
    fc.integer({ min: -1e6, max: 1e6 }).map((n) => N(String(n))),
  );
  fc.assert(
    fc.property(attr, attr, attr, (h, r, r2) => {
      const payload = orderedPayload(h, r);
      assert.equal(itemKeyProblem(schema('r'), 3n, payload, item({ h, r })), undefined);
      const same = Buffer.from(keyBytes(r)).equals(Buffer.from(keyBytes(r2)));
      assert.equal(itemKeyProblem(schema('r'), 3n, payload, item({ h, r: r2 })) === undefined, same);
    }),
    { numRuns: 300 },
  );
});
