// The MVCC layer of a snapshot row (spec core.md §1.1, §1.8; elastickv: internal/backup/encode.go
// (encodeMVCCKey, encodeMVCCValue)).
//
// key   = userKey ‖ BE64(~commitTS)      (newer versions of one user key sort first)
// value = flags ‖ LE64(expireAt) ‖ body  (the encoder always writes flags 0 and expireAt 0)

import { TS_SUFFIX_SIZE, U64_MAX, VALUE_HEADER_SIZE } from './format.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

/** The encoded key of one version: `userKey ‖ BE64(~commitTs)`. */
export function encodeMvccKey(userKey: Uint8Array, commitTs: bigint): Buffer {
  const out = Buffer.allocUnsafe(userKey.length + TS_SUFFIX_SIZE);
  out.set(userKey, 0);
  out.writeBigUInt64BE(U64_MAX - commitTs, userKey.length);
  return out;
}

/** The encoded value of one version: `flags ‖ LE64(expireAt) ‖ body`. */
export function encodeMvccValue(body: Uint8Array, expireAt = 0n, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(body.length + VALUE_HEADER_SIZE);
  out[0] = flags;
  out.writeBigUInt64LE(expireAt, 1);
  out.set(body, VALUE_HEADER_SIZE);
  return out;
}

/** The commit timestamp stored in an encoded key's suffix. */
export function commitTsOf(encodedKey: Uint8Array): bigint {
  const b = asBuffer(encodedKey);
  return U64_MAX - b.readBigUInt64BE(b.length - TS_SUFFIX_SIZE);
}
