// Relative paths inside a dump tree, as raw bytes.
//
// Tree paths are `/`-separated. Components come from key bytes (S3 object keys keep their own bytes, which may
// be any UTF-8 or even invalid UTF-8), so paths are handled as Buffers end to end and never pass through a
// lossy string conversion. A path is valid when every component is non-empty, not `.` or `..`, and free of NUL.

import { DataError } from '../errors.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

export type RelPath = string | Uint8Array;

function relBytes(rel: RelPath): Buffer {
  return typeof rel === 'string' ? Buffer.from(rel, 'utf8') : asBuffer(rel);
}

/** Joins path components (strings or raw bytes) with `/`. */
export function joinRel(...parts: RelPath[]): Buffer {
  const bufs: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i > 0) bufs.push(SLASH);
    bufs.push(relBytes(p));
  });
  return Buffer.concat(bufs);
}

const SLASH = Buffer.from('/');

/** Throws unless `rel` is a safe relative path (see module comment). Returns its bytes. */
export function checkRel(rel: RelPath): Buffer {
  const b = relBytes(rel);
  if (b.length === 0) throw new DataError('TREE_PATH_UNSAFE', 'empty path inside the dump tree');
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 0x2f) {
      const len = i - start;
      const dot = len === 1 && b[start] === 0x2e;
      const dotdot = len === 2 && b[start] === 0x2e && b[start + 1] === 0x2e;
      if (len === 0 || dot || dotdot) {
        throw new DataError('TREE_PATH_UNSAFE', `path component ${JSON.stringify(b.subarray(start, i).toString('utf8'))} would escape or alias the dump tree`, { path: b.toString('utf8') });
      }
      start = i + 1;
    } else if (b[i] === 0) {
      throw new DataError('TREE_PATH_UNSAFE', 'NUL byte in a path inside the dump tree', { path: b.toString('utf8') });
    }
  }
  return b;
}

/** Absolute filesystem path (as bytes, so any byte sequence survives) of a checked relative path. */
export function absPath(root: string, rel: RelPath): Buffer {
  return Buffer.concat([Buffer.from(root, 'utf8'), SLASH, checkRel(rel)]);
}

/** Parent of a relative path, or undefined at the top. */
export function parentRel(rel: Buffer): Buffer | undefined {
  const i = rel.lastIndexOf(0x2f);
  return i < 0 ? undefined : rel.subarray(0, i);
}

/** Renders a relative path for messages (lossy for invalid UTF-8, which is fine for humans). */
export function showRel(rel: RelPath): string {
  return typeof rel === 'string' ? rel : Buffer.from(rel).toString('utf8');
}
