// Sorting buffered records by key six bytes at a time: the order of a stable sort by unsigned bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sortPositions } from '../../src/sort/sort-positions.ts';

const SLOT = 2 ** 32;

/** Records `LE32 keyLen | key | LE32 0` in slabs of `slabBytes`, and their positions in insertion order. */
function slabsOf(keys: readonly Uint8Array[], slabBytes: number): { slabs: Buffer[]; positions: number[] } {
  const slabs: Buffer[] = [];
  const positions: number[] = [];
  let slab = Buffer.alloc(0);
  let used = 0;
  for (const k of keys) {
    if (used + 8 + k.length > slab.length) {
      slab = Buffer.alloc(Math.max(slabBytes, 8 + k.length));
      slabs.push(slab);
      used = 0;
    }
    slab.writeUInt32LE(k.length, used);
    slab.set(k, used + 4);
    positions.push((slabs.length - 1) * SLOT + used);
    used += 8 + k.length;
  }
  return { slabs, positions };
}

/** The insertion indices of `keys` in a stable sort by unsigned bytes. */
const stableOrder = (keys: readonly Uint8Array[]): number[] =>
  keys.map((_, i) => i).sort((a, b) => Buffer.compare(keys[a] as Uint8Array, keys[b] as Uint8Array) || a - b);

test('property: the order of a stable sort by unsigned bytes (shared prefixes, 00 and FF bytes, lengths at chunk edges)', () => {
  const byte = fc.constantFrom(0, 1, 0x7f, 0xfe, 0xff);
  const prefix = fc.uint8Array({ maxLength: 14 });
  const key = fc.tuple(fc.constantFrom(0, 1, 2), fc.array(byte, { maxLength: 13 }));
  fc.assert(
    fc.property(
      fc.array(prefix, { minLength: 1, maxLength: 3 }),
      fc.array(key, { maxLength: 300 }),
      fc.constantFrom(64, 4096),
      (prefixes, specs, slabBytes) => {
        const keyOf = ([p, tail]: [number, number[]]): Buffer =>
          Buffer.concat([prefixes[p % prefixes.length] as Uint8Array, Uint8Array.from(tail)]);
        const keys = specs.map(keyOf);
        const { slabs, positions } = slabsOf(keys, slabBytes);
        const want = stableOrder(keys).map((i) => positions[i]);
        assert.deepEqual(sortPositions(slabs, positions, SLOT), want);
      },
    ),
    { numRuns: 400 },
  );
});

test('equal keys keep insertion order; empty keys first', () => {
  const keys = ['b', '', 'abcdefghijkl', 'abcdefghijkl', 'abcdef', '', 'b'].map((s) => Buffer.from(s));
  const { slabs, positions } = slabsOf(keys, 4096);
  assert.deepEqual(sortPositions(slabs, positions, SLOT), [1, 5, 4, 2, 3, 0, 6].map((i) => positions[i]));
});
