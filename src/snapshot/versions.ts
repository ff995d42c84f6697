// MVCC version resolution over a snapshot stream in file order.
//
// Rows are sorted by encoded key (userKey ‖ BE64(~commitTS)), so the versions of one user key arrive newest
// first. Policy 'latest' keeps, for each user key, only its newest version, and drops the key entirely when
// that version is a tombstone. Policy 'all' passes every live version through and drops only tombstones
// themselves, which is exactly what the reference decoder does (core.md §1.5).
//
// Versions of one key are not always adjacent: rows whose encoded key continues the user key U (keys that extend
// U, or a prefix of U whose inverted timestamp continues with U's next bytes) can sort between two of U's
// timestamp suffixes. Every row between two versions of U has an encoded key starting with U, so the resolver keeps
// the user keys that start the current row's encoded key, and drops one for good once a row does not start with it:
// memory bounded by the key nesting depth.

import type { SnapshotEntry } from './reader.ts';
import { compareBytes, mismatch } from '../bytes/compare.ts';

/**
 * Which versions decode keeps: `'latest'` (newest per key; tombstones hide keys) or `'all'` (the reference's
 * behaviour).
 */
export type VersionPolicy = 'latest' | 'all';

/** Counts kept by a `VersionResolver`. */
export interface VersionStats {
  /** Live versions passed on. */
  live: number;
  /** Tombstone rows seen. */
  tombstones: number;
  /** Older versions dropped because a newer version (live or tombstone) of the same key came first. */
  superseded: number;
}

const TS_BYTES = 8;
const U64_MAX = (1n << 64n) - 1n;

/** BE64(~commitTs), as it follows the user key in an encoded key. */
function invertedTs(commitTs: bigint): Buffer {
  const b = Buffer.allocUnsafe(TS_BYTES);
  b.writeBigUInt64BE(U64_MAX - commitTs);
  return b;
}

/** Keys kept on the prefix stack at most; deeper nesting only weakens detection of non-adjacent versions. */
const MAX_STACK = 256;

/** Decides, row by row in file order, which versions of each key are passed on under a `VersionPolicy`. */
export class VersionResolver {
  readonly #policy: VersionPolicy;
  /**
   * The user keys that start the current row's encoded key, oldest first: entry i is the first `#lens[i]` bytes of
   * `#store[i]` (copies, since an entry's buffer may be a view into a reused chunk; the buffers are reused).
   */
  readonly #store: Buffer[] = [];
  readonly #lens: number[] = [];
  readonly stats: VersionStats = { live: 0, tombstones: 0, superseded: 0 };

  constructor(policy: VersionPolicy) {
    this.#policy = policy;
  }

  /** True when the row should be dispatched to an adapter. */
  accept(e: SnapshotEntry): boolean {
    if (e.tombstone) this.stats.tombstones++;
    if (this.#policy === 'all') {
      if (e.tombstone) return false;
      this.stats.live++;
      return true;
    }
    const k = e.userKey;
    const kl = k.length;
    const store = this.#store;
    const lens = this.#lens;
    if (lens.length === 1 && (lens[0] as number) <= kl) {
      // The usual case: the one key kept is the previous row's. Unless it starts this row's key, this key replaces
      // it, and only the bytes after their common prefix are copied.
      const len = lens[0] as number;
      const s = store[0] as Buffer;
      const same = mismatch(k, 0, s, 0, len);
      if (same === len && len === kl) {
        this.stats.superseded++;
        return false;
      }
      if (same < len && s.length >= kl) {
        if (kl - same > 64) k.copy(s, same, same, kl);
        else for (let i = same; i < kl; i++) s[i] = k[i] as number;
        lens[0] = kl;
        if (e.tombstone) return false;
        this.stats.live++;
        return true;
      }
    }
    /** The row's inverted timestamp: the 8 bytes after the user key in its encoded key (read when needed). */
    let suffix: Buffer | undefined;
    let kept = 0;
    let decided = false;
    for (let i = 0; i < lens.length; i++) {
      const len = lens[i] as number;
      const s = store[i] as Buffer;
      let starts: boolean;
      if (len <= kl) starts = compareBytes(k, 0, len, s, 0, len) === 0;
      else if (len > kl + TS_BYTES) starts = false;
      else {
        suffix ??= invertedTs(e.commitTs);
        starts = compareBytes(k, 0, kl, s, 0, kl) === 0 && compareBytes(suffix, 0, len - kl, s, kl, len) === 0;
      }
      if (!starts) continue;
      if (len === kl) decided = true;
      if (kept !== i) {
        store[i] = store[kept] as Buffer;
        store[kept] = s;
        lens[kept] = len;
      }
      kept++;
    }
    while (lens.length > kept) lens.pop();
    if (decided) {
      this.stats.superseded++;
      return false; // an older version of a key already decided
    }
    if (lens.length === MAX_STACK) {
      lens.shift();
      store.push(store.shift() as Buffer);
    }
    const d = lens.length;
    let b = store[d];
    if (b === undefined || b.length < kl) {
      b = Buffer.allocUnsafeSlow(Math.max(64, 2 * kl));
      store[d] = b;
    }
    // A loop for a short key: Buffer#copy's checks and native call cost more than its few bytes.
    if (kl > 64) k.copy(b, 0, 0, kl);
    else for (let i = 0; i < kl; i++) b[i] = k[i] as number;
    lens.push(kl);
    if (e.tombstone) return false;
    this.stats.live++;
    return true;
  }
}
