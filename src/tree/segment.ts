// Filename segment encoding of the dump tree (spec core.md §3.2; elastickv: internal/backup/filename.go).
//
// A segment is one path component built from raw key bytes:
// - unreserved bytes A-Z a-z 0-9 - . _ pass through, every other byte becomes %HH (upper-case hex);
// - anything that would exceed 240 bytes, that looks like a SHA fallback, or that starts with `b64.` is replaced
//   by the SHA fallback: 32 hex chars of SHA-256(raw) + `__` + percent-encoding of the first 64 raw bytes;
// - binary (DynamoDB B) values use `b64.` + base64url without padding when that fits.

import { createHash } from 'node:crypto';
import { asBuffer } from '../bytes/as-buffer.ts';

const SEGMENT_MAX_BYTES = 240;
/**
 * The longest file name common file systems take (ext4, XFS, btrfs, APFS, NTFS in UTF-16 units): every path
 * component of a tree stays within it. Segment-encoded names (at most 240 bytes, plus a short extension) always
 * do; adapters that write raw names (S3 keys) replace a longer component by its SHA fallback with a KEYMAP record.
 */
export const NAME_MAX_BYTES = 255;
/**
 * The longest path inside a tree (relative to its root): PATH_MAX is 4,096 bytes for the whole path, and this
 * leaves 1,024 bytes for the directory the tree is written to. Adapters keep their paths within it.
 */
export const TREE_PATH_MAX_BYTES = 3072;
const SHA_PREFIX_HEX = 32;
const SHA_SUFFIX_RAW = 64;
const BINARY_PREFIX = 'b64.';

export class SegmentError extends Error {
  readonly needsKeymap: boolean;
  constructor(message: string, needsKeymap = false) {
    super(message);
    this.needsKeymap = needsKeymap;
  }
}

const UNRESERVED = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9._-]/.test(ch)) UNRESERVED[c] = 1;
}
const HEX = '0123456789ABCDEF';

/** Percent-encodes raw bytes; returns undefined as soon as the output would exceed `limit` characters. */
function percentEncode(raw: Uint8Array, limit: number): string | undefined {
  let out = '';
  let runStart = 0;
  let len = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number;
    if (UNRESERVED[b] === 1) {
      len += 1;
    } else {
      len += 3;
      if (len > limit) return undefined;
      if (i > runStart) out += asciiRun(raw.subarray(runStart, i));
      out += '%' + HEX.charAt(b >> 4) + HEX.charAt(b & 15);
      runStart = i + 1;
    }
    if (len > limit) return undefined;
  }
  if (raw.length > runStart) out += asciiRun(raw.subarray(runStart));
  return out;
}

function asciiRun(b: Uint8Array): string {
  return asBuffer(b).toString('latin1');
}

/** True for the SHA fallback shape: at least 34 chars, 32 hex digits (either case), then `__`. */
export function isShaFallback(seg: string): boolean {
  if (seg.length < SHA_PREFIX_HEX + 2) return false;
  for (let i = 0; i < SHA_PREFIX_HEX; i++) {
    const c = seg.charCodeAt(i);
    const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    if (!hex) return false;
  }
  return seg[SHA_PREFIX_HEX] === '_' && seg[SHA_PREFIX_HEX + 1] === '_';
}

/** The SHA fallback form of raw bytes (at most 226 characters). */
export function shaFallback(raw: Uint8Array): string {
  const digest = createHash('sha256').update(raw).digest('hex').slice(0, SHA_PREFIX_HEX);
  return digest + '__' + (percentEncode(raw.subarray(0, SHA_SUFFIX_RAW), Infinity) as string);
}

/** EncodeSegment: the path component for a raw key. */
export function encodeSegment(raw: Uint8Array): string {
  if (raw.length > SEGMENT_MAX_BYTES) return shaFallback(raw);
  const enc = percentEncode(raw, SEGMENT_MAX_BYTES);
  if (enc === undefined || isShaFallback(enc) || enc.startsWith(BINARY_PREFIX)) return shaFallback(raw);
  return enc;
}

/** EncodeBinarySegment: `b64.` + base64url (no padding) when it fits in 240 bytes, else the SHA fallback. */
export function encodeBinarySegment(raw: Uint8Array): string {
  const encodedLen = Math.ceil((raw.length * 4) / 3);
  if (encodedLen + BINARY_PREFIX.length > SEGMENT_MAX_BYTES) return shaFallback(raw);
  return BINARY_PREFIX + asBuffer(raw).toString('base64url');
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

const BASE64URL_NOPAD = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes base64url without padding as Go's base64.RawURLEncoding does: padding and foreign characters are
 * rejected, a dangling single character is rejected, non-zero trailing bits are tolerated (Go is not strict).
 */
export function decodeBase64UrlRaw(s: string): Uint8Array | undefined {
  if (!BASE64URL_NOPAD.test(s) || s.length % 4 === 1) return undefined;
  const out = Buffer.from(s, 'base64url');
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** DecodeSegment: the raw bytes behind a segment; throws SegmentError (needsKeymap for SHA fallbacks). */
export function decodeSegment(seg: string): Uint8Array {
  if (Buffer.byteLength(seg, 'utf8') > SEGMENT_MAX_BYTES) throw new SegmentError('invalid encoded filename segment');
  if (isShaFallback(seg)) throw new SegmentError('filename uses SHA fallback; consult KEYMAP.jsonl', true);
  if (seg.startsWith(BINARY_PREFIX)) {
    const raw = decodeBase64UrlRaw(seg.slice(BINARY_PREFIX.length));
    if (raw === undefined) throw new SegmentError('invalid encoded filename segment');
    return raw;
  }
  const out = new Uint8Array(seg.length);
  let n = 0;
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexVal(seg.charCodeAt(i + 1));
      const lo = hexVal(seg.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) throw new SegmentError('invalid encoded filename segment');
      out[n++] = (hi << 4) | lo;
      i += 2;
      continue;
    }
    if (c > 0xff || UNRESERVED[c] !== 1) throw new SegmentError('invalid encoded filename segment');
    out[n++] = c;
  }
  return out.subarray(0, n);
}
