import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SnapshotReader } from '../../src/snapshot/reader.ts';
import { VersionResolver, type VersionPolicy } from '../../src/snapshot/versions.ts';
import { buildFsm, type FsmRow } from '../helpers/fsm.ts';

async function resolve(rows: FsmRow[], policy: VersionPolicy): Promise<string[]> {
  async function* one(): AsyncGenerator<Buffer> {
    yield buildFsm(100n, rows);
  }
  const reader = new SnapshotReader(one());
  const v = new VersionResolver(policy);
  const out: string[] = [];
  for await (const r of reader.records()) {
    if (r.type === 'entry' && v.accept(r)) out.push(`${r.userKey.toString('latin1')}=${r.value.toString('latin1')}`);
  }
  return out;
}

test('latest: the newest version of a key wins; reference mode keeps every live version', async () => {
  const rows = [
    { key: 'k', value: 'old', commitTs: 10n },
    { key: 'k', value: 'new', commitTs: 20n },
  ];
  assert.deepEqual(await resolve(rows, 'latest'), ['k=new']);
  assert.deepEqual(await resolve(rows, 'all'), ['k=new', 'k=old']);
});

test('a tombstone as newest version hides the key; an older tombstone does not', async () => {
  const hidden = [
    { key: 'k', value: 'v1', commitTs: 10n },
    { key: 'k', tombstone: true, commitTs: 20n },
  ];
  assert.deepEqual(await resolve(hidden, 'latest'), []);
  assert.deepEqual(await resolve(hidden, 'all'), ['k=v1']);
  const revived = [
    { key: 'k', tombstone: true, commitTs: 10n },
    { key: 'k', value: 'v2', commitTs: 20n },
  ];
  assert.deepEqual(await resolve(revived, 'latest'), ['k=v2']);
});

test('versions separated by keys that extend the same user key are still resolved', async () => {
  // Key "a" at two timestamps whose inverted suffixes start with 0x10 and 0x90: the row of key "a\x50"
  // sorts between the two versions of "a".
  const ts1 = ((0xffn - 0x10n) << 56n) | 0xffffffffffffffn; // ~ts starts with 0x10 (newer)
  const ts2 = ((0xffn - 0x90n) << 56n) | 0xffffffffffffffn; // ~ts starts with 0x90 (older)
  const rows = [
    { key: 'a', value: 'newest', commitTs: ts1 },
    { key: 'a\x50', value: 'other', commitTs: 5n },
    { key: 'a', value: 'older', commitTs: ts2 },
  ];
  assert.deepEqual(await resolve(rows, 'all'), ['a=newest', 'a\x50=other', 'a=older']);
  assert.deepEqual(await resolve(rows, 'latest'), ['a=newest', 'a\x50=other']);
});

test('versions of a key split by a row of a key they extend, whose inverted timestamp continues them, are still resolved', async () => {
  // Key "a\x61" at commit timestamps 512 (newer) and 1; key "a" at a timestamp whose inverted form starts with 0x61, so
  // its row "a" 61 FF… sorts between "a\x61" FF…FD FF and "a\x61" FF…FF FE.
  const ts = (0x9en << 56n) | 1n;
  const rows = [
    { key: 'a\x61', value: 'newest', commitTs: 512n },
    { key: 'a', value: 'short', commitTs: ts },
    { key: 'a\x61', value: 'oldest', commitTs: 1n },
  ];
  assert.deepEqual(await resolve(rows, 'latest'), ['a\x61=newest', 'a=short']);
  assert.deepEqual(await resolve(rows, 'all'), ['a\x61=newest', 'a=short', 'a\x61=oldest']);
  const hidden = [
    { key: 'a\x61', tombstone: true, commitTs: 512n },
    { key: 'a', value: 'short', commitTs: ts },
    { key: 'a\x61', value: 'oldest', commitTs: 1n },
  ];
  assert.deepEqual(await resolve(hidden, 'latest'), ['a=short']);
});

test('property: latest policy equals a map of newest versions per key', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ key: fc.constantFrom('a', 'ab', 'abc', 'b', 'a\xff'), commitTs: fc.bigInt({ min: 1n, max: 50n }), tombstone: fc.boolean(), value: fc.string({ maxLength: 3 }) }), { maxLength: 20 }),
      async (raw) => {
        const seen = new Set<string>();
        const rows = raw.filter((r) => {
          const id = `${r.key}@${r.commitTs}`;
          if (seen.has(id)) return false;
          seen.add(id);
          return true;
        });
        const newest = new Map<string, (typeof rows)[number]>();
        for (const r of rows) {
          const cur = newest.get(r.key);
          if (cur === undefined || r.commitTs > cur.commitTs) newest.set(r.key, r);
        }
        const expected = [...newest.values()].filter((r) => !r.tombstone).map((r) => `${r.key}=${r.value}`).sort();
        assert.deepEqual((await resolve(rows, 'latest')).sort(), expected);
      },
    ),
    { plugins: [fc.interruptAfterTimeLimit(2000)] },
  );
});
