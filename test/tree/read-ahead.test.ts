// Read-ahead of listed tree files: the same results as TreeReader's reads, in the source's order, through the
// worker threads for larger directories (several batches in flight, large files left to the main thread), errors
// in place; a transform given to the worker applies to the files it reads, and the rest come back as read.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEkvError } from '../../src/errors.ts';
import { readListed, readListedOrFind, readListedTransformed } from '../../src/tree/read-ahead.ts';
import { workerModuleUrl } from '../../src/threads/start-worker.ts';
import { TreeReader, type TreeFile } from '../../src/tree/reader.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

const code = (c: string) => (err: unknown) => isEkvError(err) && err.code === c;

/** A tree with `n` files under d/: sizes vary (some over 64 KiB: found, or read on the main thread). */
async function treeOf(n: number): Promise<{ tree: TreeReader; names: string[] }> {
  const root = await tempDir('ekv-readahead-');
  await fsp.mkdir(join(root, 'd'));
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `f${String(i).padStart(5, '0')}`;
    const size = i % 97 === 5 ? 70_000 + i : (i * 37) % 5000;
    await fsp.writeFile(join(root, 'd', name), Buffer.alloc(size, name));
    names.push(name);
  }
  return { tree: new TreeReader(root), names };
}

async function* itemsOf(names: readonly string[], failAt?: number): AsyncGenerator<string> {
  for (const [i, name] of names.entries()) {
    if (i === failAt) throw new Error('source failed');
    yield name;
  }
}

const rel = (name: string): string => `d/${name}`;

test('small and large directories read like TreeReader, in order; found files carry their identity', async () => {
  // 10: no worker; 1,800: one; 7,000: four (one more every 8 batches of 256 after the first 256 files), their
  // batches handed out in turn and used in the source's order.
  for (const n of [10, 1800, 7000]) {
    const { tree, names } = await treeOf(n);
    const seen: string[] = [];
    for await (const { item, body } of readListed(tree, itemsOf(names), rel)) {
      assert.ok(body.equals(await tree.readFile(rel(item))), item);
      seen.push(item);
    }
    assert.deepEqual(seen, names);
    // Every third item names no file.
    const named = (name: string): boolean => Number(name.slice(1)) % 3 !== 0;
    let found = 0;
    let i = 0;
    const relOf = (name: string): string | undefined => (named(name) ? rel(name) : undefined);
    for await (const { item, body } of readListedOrFind(tree, itemsOf(names), relOf, 1000)) {
      assert.equal(item, names[i++]);
      const want = named(item) ? await tree.readOrFind(rel(item), 1000) : undefined;
      if (want === undefined || Buffer.isBuffer(want)) assert.deepEqual(body, want, item);
      else {
        found++;
        const f = body as TreeFile;
        const identity = (t: TreeFile): unknown[] => [t.rel, t.size, t.dev, t.ino, t.mtimeMs];
        assert.deepEqual(identity(f), identity(want), item);
      }
    }
    assert.equal(i, n);
    assert.ok(found > 0);
  }
});

test('errors come where the file is: hard links, swapped entries, files over the cap, a failing source', async () => {
  const { tree, names } = await treeOf(1200);
  const consume = async (gen: AsyncIterable<{ item: string }>, seen: string[]): Promise<void> => {
    for await (const { item } of gen) seen.push(item);
  };
  const cases: Array<[number, string, (path: string) => Promise<void>]> = [
    [100, 'TREE_HARDLINK', (p) => fsp.link(p, `${p}-link`)],
    [700, 'TREE_HARDLINK', (p) => fsp.link(p, `${p}-link`)],
    [900, 'TREE_NOT_REGULAR', async (p) => { await fsp.rm(p); execFileSync('mkfifo', [p]); }],
    [1000, 'TREE_SYMLINK', async (p) => { await fsp.rm(p); await fsp.symlink('/etc/hostname', p); }],
    [1100, 'TREE_MISSING', (p) => fsp.rm(p)],
  ];
  for (const [at, c, spoil] of cases) {
    const path = join(tree.root, rel(names[at] as string));
    await spoil(path);
    const seen: string[] = [];
    await assert.rejects(consume(readListed(tree, itemsOf(names), rel), seen), code(c));
    assert.deepEqual(seen, names.slice(0, at), c);
    await fsp.rm(path, { force: true });
    await fsp.rm(`${path}-link`, { force: true });
    await fsp.writeFile(path, 'x');
  }
  const seen: string[] = [];
  await assert.rejects(consume(readListed(tree, itemsOf(names), rel, 4000), seen), code('TREE_FILE_TOO_LARGE'));
  assert.ok(seen.length > 0);
  seen.length = 0;
  await assert.rejects(consume(readListed(tree, itemsOf(names, 1150), rel), seen), /source failed/);
  assert.deepEqual(seen, names.slice(0, 1150));
});

test('a consumer that stops early ends the source', async () => {
  const { tree, names } = await treeOf(900);
  let ended = false;
  async function* source(): AsyncGenerator<string> {
    try {
      yield* names;
    } finally {
      ended = true;
    }
  }
  let n = 0;
  for await (const { body } of readListed(tree, source(), rel)) {
    assert.ok(Buffer.isBuffer(body));
    if (++n === 600) break;
  }
  assert.ok(ended);
});

test('a transform runs on the worker: files it reads come back transformed, the others (and those it refuses) as read', async () => {
  const { tree, names } = await treeOf(1200);
  const refused = new Set([names[400], names[401]]);
  const thrown = new Set([names[900]]);
  for (const name of refused) await fsp.writeFile(join(tree.root, rel(name as string)), 'refuse me');
  for (const name of thrown) await fsp.writeFile(join(tree.root, rel(name as string)), 'throw me');
  const transform = { module: workerModuleUrl('./fixtures/tag-transform', import.meta.url), arg: 'T' };
  const tag = (b: Buffer): Buffer => Buffer.from(`T:${b.length}:${b.subarray(0, 8).toString('latin1')}`, 'latin1');
  let i = 0;
  let transformed = 0;
  for await (const { item, body, transformed: t } of readListedTransformed(tree, itemsOf(names), rel, transform)) {
    assert.equal(item, names[i++]);
    const raw = await tree.readFile(rel(item));
    if (t) {
      transformed++;
      assert.ok(!refused.has(item) && !thrown.has(item), item);
      assert.ok(body.equals(tag(raw)), item);
    } else {
      assert.ok(body.equals(raw), item);
      // Read on the main thread: the first files, files over the worker's 16 KiB, and the refused ones.
      assert.ok(i <= 256 || raw.length > 16 * 1024 || refused.has(item) || thrown.has(item), item);
    }
  }
  assert.equal(i, names.length);
  assert.ok(transformed > 800, `${transformed} files transformed`);
  // A module the worker cannot load: every file comes back as read.
  const missing = { module: workerModuleUrl('./fixtures/no-such-transform', import.meta.url), arg: 'T' };
  for await (const { item, body, transformed: t } of readListedTransformed(tree, itemsOf(names), rel, missing)) {
    assert.equal(t, false, item);
    assert.ok(body.equals(await tree.readFile(rel(item))), item);
  }
});
