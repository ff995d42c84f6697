// Where an item's file goes (spec dynamodb.md §2.5; elastickv: internal/backup/dynamodb.go (writeDDBItem,
// ddbKeyAttrToSegment)): `items/<hashSeg>.json` for hash-only tables, `items/<hashSeg>/<rangeSeg>.json` for
// composite ones. S keys use the segment encoding of their UTF-8 bytes, N keys that of their canonical
// rational text, B keys the `b64.` binary form. `.` and `..` are refused so nothing escapes `items/`.

import { DataError } from '../../errors.ts';
import { encodeBinarySegment, encodeSegment } from '../../tree/segment.ts';
import { canonicalNumber } from './numbers.ts';
import type { AttributeValue, Item } from './proto.ts';

/** Go type names the reference prints for a key attribute of an unsupported kind. */
const GO_KIND: Readonly<Record<string, string>> = {
  BOOL: '*proto.DynamoAttributeValue_BoolValue',
  NULL: '*proto.DynamoAttributeValue_NullValue',
  SS: '*proto.DynamoAttributeValue_Ss',
  NS: '*proto.DynamoAttributeValue_Ns',
  BS: '*proto.DynamoAttributeValue_Bs',
  L: '*proto.DynamoAttributeValue_L',
  M: '*proto.DynamoAttributeValue_M',
  unset: '<nil>',
};

export const invalidItem = (why: string, ctx: { path?: string; key?: Uint8Array } = {}): DataError =>
  new DataError('DDB_INVALID_ITEM', `invalid !ddb|item value: ${why}`, ctx);

function keySegment(v: AttributeValue): string {
  switch (v.kind) {
    case 'S':
      return encodeSegment(Buffer.from(v.value, 'utf8'));
    case 'N':
      return encodeSegment(Buffer.from(canonicalNumber(v.value), 'utf8'));
    case 'B':
      return encodeBinarySegment(v.value);
    default:
      throw invalidItem(`primary key has unsupported attribute kind ${GO_KIND[v.kind]}`);
  }
}

/** The item's path under the table directory (`items/…json`). */
export function itemRelPath(item: Item, hashKey: string, rangeKey: string): string {
  const h = item.get(hashKey);
  if (h === undefined) throw invalidItem(`item missing hash-key attribute ${JSON.stringify(hashKey)}`);
  const hashSeg = keySegment(h);
  if (hashSeg === '.' || hashSeg === '..') throw invalidItem(`hash-key segment ${JSON.stringify(hashSeg)} is a dot path (would escape items dir)`);
  if (rangeKey === '') return `items/${hashSeg}.json`;
  const r = item.get(rangeKey);
  if (r === undefined) throw invalidItem(`item missing range-key attribute ${JSON.stringify(rangeKey)}`);
  const rangeSeg = keySegment(r);
  if (rangeSeg === '.' || rangeSeg === '..') throw invalidItem(`range-key segment ${JSON.stringify(rangeSeg)} is a dot path (would escape items dir)`);
  return hashSeg === '' ? `items/${rangeSeg}.json` : `items/${hashSeg}/${rangeSeg}.json`;
}
