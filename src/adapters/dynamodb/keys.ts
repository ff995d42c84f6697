// DynamoDB key layouts (spec dynamodb.md §1.1, §1.4; elastickv: adapter/dynamodb_keys.go, kv/shard_key.go).
//
//   !ddb|meta|table|<b64u T>                               schema (DS magic + proto)
//   !ddb|meta|gen|<b64u T>                                 generation counter, decimal
//   !ddb|item|<b64u T>|<gen>|seg(hash)[seg(range)]        item (DI magic + proto)
//   !ddb|gsi|<b64u T>|<gen>|<b64u I>|seg(ih)[seg(ir)]seg(h)[seg(r)]   GSI entry, value = the item key
// seg(x): x with every 00 byte written 00 FF, then the terminator 00 01.

import { DataError } from '../../errors.ts';
import { decodeBase64UrlRaw } from '../../tree/segment.ts';
import { encodeOrderedSegment } from '../../bytes/ordered-segment.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

export const TABLE_META_PREFIX = '!ddb|meta|table|';
export const TABLE_GEN_PREFIX = '!ddb|meta|gen|';
export const ITEM_PREFIX = '!ddb|item|';
export const GSI_PREFIX = '!ddb|gsi|';

export const SCHEMA_MAGIC = Buffer.from([0x00, 0x44, 0x53, 0x01]);
export const ITEM_MAGIC = Buffer.from([0x00, 0x44, 0x49, 0x01]);

const b64u = (b: Uint8Array | string): string =>
  (typeof b === 'string' ? Buffer.from(b, 'utf8') : asBuffer(b)).toString('base64url');

/** Go base64.RawURLEncoding.DecodeString: like decodeBase64UrlRaw, but `\r` and `\n` are skipped. */
export function decodeB64u(s: string): Uint8Array | undefined {
  return decodeBase64UrlRaw(s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]/g, '') : s);
}

export const tableMetaKey = (table: string): Buffer => Buffer.from(TABLE_META_PREFIX + b64u(table));
export const tableGenKey = (table: string): Buffer => Buffer.from(TABLE_GEN_PREFIX + b64u(table));

export function itemKey(table: string, gen: bigint, hashRaw: Uint8Array, rangeRaw: Uint8Array | undefined): Buffer {
  const parts = [Buffer.from(`${ITEM_PREFIX}${b64u(table)}|${gen}|`), encodeOrderedSegment(hashRaw)];
  if (rangeRaw !== undefined) parts.push(encodeOrderedSegment(rangeRaw));
  return Buffer.concat(parts);
}

export function gsiKey(
  table: string,
  gen: bigint,
  index: string,
  idxHash: Uint8Array,
  idxRange: Uint8Array | undefined,
  pkSegments: Buffer,
): Buffer {
  const parts = [Buffer.from(`${GSI_PREFIX}${b64u(table)}|${gen}|${b64u(index)}|`), encodeOrderedSegment(idxHash)];
  if (idxRange !== undefined) parts.push(encodeOrderedSegment(idxRange));
  parts.push(pkSegments);
  return Buffer.concat(parts);
}

const malformed = (key: Uint8Array, why: string): DataError => new DataError('DDB_MALFORMED_KEY', `malformed DynamoDB key: ${why}`, { key });

/** An item key's parts: the table segment (as written), the generation, the primary-key payload (a view). */
export interface ItemKeyParts {
  readonly tableSegment: string;
  readonly generation: bigint;
  readonly payload: Buffer;
}

/** `!ddb|item|` keys, split; the payload is not decoded here. */
export function parseItemKey(key: Uint8Array): ItemKeyParts {
  const rest = asBuffer(key).subarray(ITEM_PREFIX.length);
  const bar = rest.indexOf(0x7c);
  if (bar <= 0) throw malformed(key, 'item key missing table/gen separator');
  const seg = rest.subarray(0, bar).toString('latin1');
  if (decodeB64u(seg) === undefined) throw malformed(key, 'table segment is not base64url');
  const afterTable = rest.subarray(bar + 1);
  const bar2 = afterTable.indexOf(0x7c);
  if (bar2 <= 0) throw malformed(key, 'item key missing gen/rest separator');
  const genText = afterTable.subarray(0, bar2).toString('latin1');
  if (!/^[0-9]+$/.test(genText) || BigInt(genText) > 0xffff_ffff_ffff_ffffn) throw malformed(key, `generation ${JSON.stringify(genText)} is not an unsigned decimal`);
  if (afterTable.length === bar2 + 1) throw malformed(key, 'item key missing primary-key payload');
  return { tableSegment: seg, generation: BigInt(genText), payload: afterTable.subarray(bar2 + 1) };
}
