// String and HyperLogLog values (spec redis.md §1.2, §3.4, §3.5; elastickv: adapter/redis_compat_types.go
// (encodeRedisStr, decodeRedisStr), internal/backup/redis_string.go (decodeRedisStringValue)).
//
// New format: FF <version> flags [BE64 expireAtMs when flags & 1] body, version 01 for strings, 02 for HLLs.
// Anything else (including values shorter than 2 bytes) is the legacy format: the whole value is the body and
// the TTL lives only in the `!redis|ttl|` row.

import { u64be } from '../../bytes/big-endian.ts';

export const STRING_VERSION = 0x01;
/** The longest header before the body: FF, version, flags and a BE64 expiry. */
export const INLINE_HEADER_MAX = 11;
export const HLL_VERSION = 0x02;
const MAX_I64 = (1n << 63n) - 1n;

export interface InlineValue {
  readonly body: Buffer;
  /** True for the new format (the TTL header is authoritative even when absent). */
  readonly inline: boolean;
  /** Expiry in Unix ms, clamped to MaxInt64; 0 when none. */
  readonly expireAtMs: bigint;
}

export class InlineValueError extends Error {}

/** Parses a `!redis|str|` (version 01) or `!redis|hll|` (version 02) value. */
export function parseInlineValue(v: Buffer, version: number): InlineValue {
  if (v.length < 2 || v[0] !== 0xff || v[1] !== version) return { body: v, inline: false, expireAtMs: 0n };
  if (v.length < 3) throw new InlineValueError('header truncated');
  if (((v[2] as number) & 0x01) === 0) return { body: v.subarray(3), inline: true, expireAtMs: 0n };
  if (v.length < 11) throw new InlineValueError('ttl section truncated');
  return { body: v.subarray(11), inline: true, expireAtMs: clampMs(v.readBigUInt64BE(3)) };
}

/** The new-format value the encoder writes: FF version 00 body, or FF version 01 BE64(ms) body. */
export function encodeInlineValue(version: number, body: Uint8Array, expireAtMs: bigint): Buffer {
  return Buffer.concat([inlineValueHeader(version, expireAtMs), body]);
}

/** What encodeInlineValue puts before the body. */
export function inlineValueHeader(version: number, expireAtMs: bigint): Buffer {
  if (expireAtMs === 0n) return Buffer.from([0xff, version, 0x00]);
  const h = Buffer.alloc(11);
  h[0] = 0xff;
  h[1] = version;
  h[2] = 0x01;
  h.writeBigUInt64BE(expireAtMs, 3);
  return h;
}

export function clampMs(ms: bigint): bigint {
  return ms > MAX_I64 ? MAX_I64 : ms;
}

/** BE64 expiry of a `!redis|ttl|` row. */
export function encodeTtlValue(ms: bigint): Buffer {
  return u64be(ms);
}
