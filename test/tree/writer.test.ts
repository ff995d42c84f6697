import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEkvError } from '../../src/errors.ts';
import { DigestLedger } from '../../src/tree/digest-ledger.ts';
import { interruptFlag } from '../../src/tree/temp-paths.ts';
import { DiskTreeWriter } from '../../src/tree/writer.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { BATCH_THREADS } from '../helpers/batch-threads.ts';

const tooLong = (re: RegExp) => (e: unknown): boolean => isEkvError(e) && e.code === 'TREE_NAME_TOO_LONG' && e.exitClass === 'user' && re.test(e.message);

test('a name the file system refuses is a coded error naming the path, not ENAMETOOLONG', async () => {
  const root = join(await tempDir(), 'tree');
  const w = new DiskTreeWriter(root);
  await assert.rejects(w.create(`s3/${'n'.repeat(300)}`), tooLong(/^s3\/n+: a 300-byte name exceeds the file system's 255-byte limit$/), 'a 300-byte component');
  await assert.rejects(w.mkdir(`s3/${'n'.repeat(300)}/x`), tooLong(/300-byte name/), 'a 300-byte directory');
  const deep = Array.from({ length: 20 }, () => 'd'.repeat(250)).join('/');
  await assert.rejects(w.writeFile(`${deep}/f`, 'x'), tooLong(/shorter path/), 'a path over PATH_MAX');
  await w.writeFile(`ok/${'n'.repeat(255)}`, 'x');
});

for (const { name, digestHereAt } of BATCH_THREADS) {
  test(`large whole files are written behind (up to 4 MiB in batches, larger on the thread pool): settle() lands them, rewrites keep the last bytes and digest, failures surface (batches digested by ${name})`, async () => {
    const root = join(await tempDir(), 'tree');
    const ledger = new DigestLedger({ scratchDir: await tempDir(), memoryBudget: 1 << 20 });
    const w = new DiskTreeWriter(root, ledger, { digestHereAt });
    // Every 16th file is 5 MiB (past a batch), the others 300 KiB: 13 to a batch, so the batches' buffers come back
    // from the writer thread and are reused many times over.
    const big = (i: number, fill: number): Buffer => Buffer.alloc(i % 16 === 5 ? 5 << 20 : 300 * 1024, fill);
    // 160 files: more than the bytes allowed behind at once, so the queue drains as it goes.
    for (let i = 0; i < 160; i++) await w.writeFile(`big/f${i % 100}`, big(i % 100, i));
    await w.writeFile('big/f7', 'small now');
    await w.settle();
    const digests = new Map<string, string>();
    for await (const d of ledger.digests()) digests.set(d.rel.toString(), d.hex);
    assert.equal(digests.size, 100);
    for (let i = 0; i < 100; i++) {
      const want = i === 7 ? Buffer.from('small now') : big(i, i < 60 ? i + 100 : i);
      assert.deepEqual(await fsp.readFile(join(root, `big/f${i}`)), want, `f${i}`);
      assert.equal(digests.get(`big/f${i}`), createHash('sha256').update(want).digest('hex'), `digest of f${i}`);
    }
    await w.close();
    for (const size of [300 * 1024, 5 << 20]) {
      const failing = new DiskTreeWriter(root, ledger);
      await fsp.mkdir(join(root, `dir-in-the-way-${size}`));
      await failing.writeFile(`dir-in-the-way-${size}`, Buffer.alloc(size));
      await assert.rejects(failing.close(), (e: NodeJS.ErrnoException) => e.code === 'EISDIR', `a ${size}-byte file`);
    }
  });

  test(`small whole files are written in batches on the small-file writer thread: contents, rewrites, digests, order (batches digested by ${name})`, async () => {
    const root = join(await tempDir(), 'tree');
    const ledger = new DigestLedger({ scratchDir: await tempDir(), memoryBudget: 1 << 20 });
    const w = new DiskTreeWriter(root, ledger, { smallFilesInline: 3, digestHereAt });
    const want = new Map<string, Buffer>();
    // More files than one batch holds, text and bytes, rewrites of files still in a batch, a sink and a large file
    // written over paths whose small writes are pending.
    for (let i = 0; i < 1500; i++) {
      const rel = `d${i % 13}/f${i % 1100}`;
      const body = i % 2 === 0 ? `text ${i} \u00e9\u{1f600}` : Buffer.alloc(i % 700, i);
      await w.writeFile(rel, body);
      want.set(rel, typeof body === 'string' ? Buffer.from(body) : body);
    }
    const sink = await w.create('d1/f1');
    await sink.write('by a sink');
    await sink.close();
    want.set('d1/f1', Buffer.from('by a sink'));
    // A sink that grows past 64 KiB opens its file; one that stays small goes to the writer thread whole.
    const grown = await w.create('d1/grown');
    for (let i = 0; i < 100; i++) await grown.write(Buffer.alloc(1000, i));
    await grown.close();
    want.set('d1/grown', Buffer.concat(Array.from({ length: 100 }, (_, i) => Buffer.alloc(1000, i))));
    const empty = await w.create('d1/empty');
    await empty.close();
    want.set('d1/empty', Buffer.alloc(0));
    await assert.rejects(w.create(`d1/${'n'.repeat(300)}`), tooLong(/300-byte name/), 'refused at create, not at close');
    await w.writeFile('d2/f2', Buffer.alloc(100 * 1024, 9));
    want.set('d2/f2', Buffer.alloc(100 * 1024, 9));
    await w.writeFile(Buffer.from('odd/n\u00e9\nme', 'utf8'), 'x');
    want.set('odd/n\u00e9\nme', Buffer.from('x'));
    await w.close();
    await w.writeFile('after/close', 'the writer is still usable');
    want.set('after/close', Buffer.from('the writer is still usable'));
    await w.close();
    const digests = new Map<string, string>();
    for await (const d of ledger.digests()) digests.set(d.rel.toString(), d.hex);
    assert.equal(digests.size, want.size);
    for (const [rel, body] of want) {
      assert.deepEqual(await fsp.readFile(join(root, rel)), body, rel);
      assert.equal(digests.get(rel), createHash('sha256').update(body).digest('hex'), `digest of ${rel}`);
      assert.equal((await fsp.stat(join(root, rel))).mode & 0o777, 0o600, `mode of ${rel}`);
    }
  });
}

test('a small file the writer thread cannot create fails the next call and close(), naming its path', async () => {
  const root = join(await tempDir(), 'tree');
  const w = new DiskTreeWriter(root, undefined, { smallFilesInline: 0 });
  await fsp.mkdir(join(root, 'd/in-the-way'), { recursive: true });
  await w.writeFile('d/before', 'x');
  await w.writeFile('d/in-the-way', 'y');
  for (let i = 0; i < 20; i++) await w.writeFile(`d/after${i}`, 'z');
  await assert.rejects(w.close(), (e: NodeJS.ErrnoException) => e.code === 'EISDIR' && e.syscall === 'open' && /d\/in-the-way$/.test(String(e.path)));
  assert.equal(await fsp.readFile(join(root, 'd/before'), 'utf8'), 'x');
  await assert.rejects(w.writeFile('d/more', 'x'), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
});

test('the small-file writer thread creates no file once the run is interrupted', async () => {
  const root = join(await tempDir(), 'tree');
  const w = new DiskTreeWriter(root, undefined, { smallFilesInline: 0 });
  Atomics.store(interruptFlag, 0, 1);
  try {
    for (let i = 0; i < 10; i++) await w.writeFile(`d/f${i}`, 'x');
    await assert.rejects(w.close(), /interrupted/);
  } finally {
    Atomics.store(interruptFlag, 0, 0);
  }
  assert.deepEqual(await fsp.readdir(join(root, 'd')), []);
});
