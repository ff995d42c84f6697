// MVCC version resolution over a snapshot stream in file order.
//
// Rows are sorted by encoded key (userKey ‖ BE64(~commitTS)), so the versions of one user key arrive newest
// first. Policy 'latest' keeps, for each user key, only its newest version, and drops the key entirely when
// that version is a tombstone. Policy 'all' passes every live version through and drops only tombstones
// themselves, which is exactly what the reference decoder does (core.md §1.5).
//
// Versions of one key are not always adjacent: when user key U is a proper prefix of other keys, rows of
// those keys whose next byte sorts between two of U's timestamp suffixes fall in between. Every such row
// still starts with U, so a stack of the user keys that prefix the current position finds all of them with
// memory bounded by the key nesting depth.

import type { SnapshotEntry } from './reader.ts';
import { compareBytes } from '../bytes/compare.ts';

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

/** Keys kept on the prefix stack at most; deeper nesting only weakens detection of non-adjacent versions. */
const MAX_STACK = 256;

/** Decides, row by row in file order, which versions of each key are passed on under a `VersionPolicy`. */
export class VersionResolver {
  readonly #policy: VersionPolicy;
  /**
   * The stack of user keys prefixing the current position: entry i is the first `#lens[i]` bytes of `#store[i]`
   * (copies, since an entry's buffer may be a view into a reused chunk; the buffers are reused level by level).
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
    const store = this.#store;
    const lens = this.#lens;
    while (lens.length > 0) {
      const d = lens.length - 1;
      const len = lens[d] as number;
      if (len <= k.length && compareBytes(k, 0, len, store[d] as Buffer, 0, len) === 0) break;
      lens.pop();
    }
    if (lens.length > 0 && lens[lens.length - 1] === k.length) {
      this.stats.superseded++;
      return false; // an older version of a key already decided
    }
    if (lens.length === MAX_STACK) {
      lens.shift();
      store.push(store.shift() as Buffer);
    }
    const d = lens.length;
    let b = store[d];
    if (b === undefined || b.length < k.length) {
      b = Buffer.allocUnsafeSlow(Math.max(64, 2 * k.length));
      store[d] = b;
    }
    // A loop for a short key: Buffer#copy's checks and native call cost more than its few bytes.
    if (k.length > 64) k.copy(b, 0, 0, k.length);
    else for (let i = 0; i < k.length; i++) b[i] = k[i] as number;
    lens.push(k.length);
    if (e.tombstone) return false;
    this.stats.live++;
    return true;
  }
}
