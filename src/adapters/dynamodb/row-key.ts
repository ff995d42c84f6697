// Whether an item row's primary-key payload (the key after `!ddb|item|<table>|<gen>|`) is the one the node writes
// for the item its value holds (spec dynamodb.md §1.4): the ordered layout seg(hash) [seg(range)] for a table at
// key encoding version 2 or more, the legacy layout b64u(h) "|" b64u(r) for older tables and for the source
// generation of a migration. A value that is not its key's item (damage) would decode as another item: the two
// would share one file and one of them would be gone without a word.

import { encodeOrderedSegment } from '../../bytes/ordered-segment.ts';
import { keyBytes } from './encode.ts';
import { NumberSyntaxError } from './numbers.ts';
import type { AttributeValue, Item, TableSchema } from './proto.ts';

const ORDERED_FROM_VERSION = 2n;

/** The legacy layout's string form of a key attribute: S as is, N as its text, B as its bytes. */
function legacyBytes(v: AttributeValue): Uint8Array | undefined {
  if (v.kind === 'S' || v.kind === 'N') return Buffer.from(v.value, 'utf8');
  if (v.kind === 'B') return v.value;
  return undefined;
}

/**
 * Why `payload` is not the key of `item` in generation `gen` of the table (undefined when it is, or when the item
 * lacks its hash or range attribute: writing it names that error).
 */
export function itemKeyProblem(schema: TableSchema, gen: bigint, payload: Buffer, item: Item): string | undefined {
  const hashKey = schema.primaryKey?.hashKey ?? '';
  const rangeKey = schema.primaryKey?.rangeKey ?? '';
  const h = item.get(hashKey);
  const r = rangeKey === '' ? undefined : item.get(rangeKey);
  if (h === undefined || (rangeKey !== '' && r === undefined)) return undefined;
  const ordered = schema.keyEncodingVersion >= ORDERED_FROM_VERSION && gen !== schema.migratingFromGeneration;
  const names = rangeKey === '' ? JSON.stringify(hashKey) : `${JSON.stringify(hashKey)} and ${JSON.stringify(rangeKey)}`;
  const problem = `its row key is not the key of the item its value holds (by ${names}, ${ordered ? 'ordered' : 'legacy'} layout)`;
  if (ordered) {
    let expected: Buffer;
    try {
      expected = encodeOrderedSegment(keyBytes(h));
      if (r !== undefined) expected = Buffer.concat([expected, encodeOrderedSegment(keyBytes(r))]);
    } catch (err) {
      if (err instanceof NumberSyntaxError) return `${problem}: ${err.message}`;
      throw err;
    }
    return expected.equals(payload) ? undefined : problem;
  }
  const hb = legacyBytes(h);
  const rb = r === undefined ? Buffer.alloc(0) : legacyBytes(r);
  if (hb === undefined || rb === undefined) return problem;
  const text = `${Buffer.from(hb).toString('base64url')}|${Buffer.from(rb).toString('base64url')}`;
  const got = payload.toString('latin1');
  // A hash-only key ends in "|" (empty range); elastickv's test helper EncodeDDBItemKey leaves that "|" out.
  return got === text || (rb.length === 0 && got === text.slice(0, -1)) ? undefined : problem;
}
