// A merge join of two key-sorted record streams, for lookups that would otherwise need an unbounded in-memory
// map: every left record comes out with the last right record of the same key (Map.set semantics: the last
// write wins), or undefined. Right records whose key no left record has are reported to `unmatched`.

import type { SortRecord } from './external-sort.ts';

export interface Joined {
  readonly left: SortRecord;
  readonly right: SortRecord | undefined;
}

export async function* lookupJoin(
  left: AsyncIterable<SortRecord>,
  right: AsyncIterable<SortRecord>,
  unmatched?: (r: SortRecord) => void,
): AsyncGenerator<Joined> {
  const rit = right[Symbol.asyncIterator]();
  let r = await rit.next();
  /** The last right record with the current key, after skipping smaller keys. */
  const lastOf = async (key: Uint8Array): Promise<SortRecord | undefined> => {
    while (!r.done && Buffer.compare(r.value.key, key) < 0) {
      unmatched?.(r.value);
      r = await rit.next();
    }
    let found: SortRecord | undefined;
    while (!r.done && Buffer.compare(r.value.key, key) === 0) {
      found = r.value;
      r = await rit.next();
    }
    return found;
  };
  let prevKey: Uint8Array | undefined;
  let prevMatch: SortRecord | undefined;
  for await (const l of left) {
    if (prevKey === undefined || Buffer.compare(prevKey, l.key) !== 0) {
      prevMatch = await lastOf(l.key);
      prevKey = l.key;
    }
    yield { left: l, right: prevMatch };
  }
  while (!r.done) {
    unmatched?.(r.value);
    r = await rit.next();
  }
}
