// The JSON forms of Redis bytes and scores (spec redis.md §2.7, §2.6.6, §3.6; elastickv:
// internal/backup/redis_hash.go (marshalRedisBinaryValue), redis_zset.go (marshalRedisZSetScore),
// encode_redis_coll.go (unmarshalRedisBinaryValue, unmarshalRedisZSetScore)).
//
// <bin>: a JSON string when the bytes are valid UTF-8, else {"base64": "<base64url, no padding>"}.
// <score>: "+inf" / "-inf" strings for infinities, otherwise a Go float64 number.

import { goMarshal, isValidUtf8, quoteString, type GoJson } from '../../json/go-json.ts';
import { JsonNumber, JsonObject, JsonTypeError, type JsonValue } from '../../json/go-json-read.ts';
import { decodeBase64UrlRaw } from '../../tree/segment.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

/** Bytes a JSON string may hold as they are (Go, HTML-escaping): printable ASCII but `"`, `\\`, `<`, `>`, `&`. */
export const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) PLAIN[c] = c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26 ? 0 : 1;

/** Reads <bin>: a JSON string's UTF-8 bytes, or the bytes of a {"base64": …} envelope. */
export function readBin(v: JsonValue | undefined, what: string): Buffer {
  if (v === undefined) throw new JsonTypeError(`${what}: unexpected end of JSON input`);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v === null || !(v instanceof JsonObject)) {
    if (v === null) throw new JsonTypeError(`${what}: binary value is neither a string nor a base64 envelope`);
    throw new JsonTypeError(`${what}: cannot unmarshal into a base64 envelope`);
  }
  const b = v.field('base64');
  if (b === undefined || b === null) throw new JsonTypeError(`${what}: binary value is neither a string nor a base64 envelope`);
  if (typeof b !== 'string') throw new JsonTypeError(`${what}: base64 is not a string`);
  const raw = decodeBase64UrlRaw(b.includes('\r') || b.includes('\n') ? b.replace(/[\r\n]/g, '') : b);
  if (raw === undefined) throw new JsonTypeError(`${what}: illegal base64 data`);
  return Buffer.from(raw);
}

/** Reads <score>: exactly "+inf" / "-inf", a JSON number (float64), or null as 0. */
export function readScore(v: JsonValue | undefined, what: string): number {
  if (v === undefined) throw new JsonTypeError(`${what}: unexpected end of JSON input`);
  if (v === null) return 0;
  if (v === '+inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (!(v instanceof JsonNumber)) throw new JsonTypeError(`${what}: cannot unmarshal into float64`);
  const n = Number(v.text);
  if (!Number.isFinite(n)) throw new JsonTypeError(`${what}: cannot unmarshal number ${v.text} into float64`);
  return n;
}

const PADS = ['', '  ', '    ', '      ', '        '];

/**
 * <bin> as MarshalIndent writes it when it is a value nested `depth` levels deep: a quoted string, or the
 * envelope object spread over three lines. Built directly (this runs once per collection element).
 */
export function binIndented(b: Uint8Array, depth: number): string {
  const buf = asBuffer(b);
  if (isValidUtf8(buf)) return quoteString(buf.toString('utf8'), true);
  return `{\n${PADS[depth + 1]}"base64": "${buf.toString('base64url')}"\n${PADS[depth]}}`;
}

/** A compact, HTML-escaped rendering (json.Marshal), for stream lines. */
export function compact(value: GoJson): string {
  return goMarshal(value, { escapeHTML: true, indent: false });
}
