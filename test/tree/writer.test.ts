import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEkvError } from '../../src/errors.ts';
import { DigestLedger } from '../../src/tree/digest-ledger.ts';
import { DiskTreeWriter } from '../../src/tree/writer.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

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

test('large whole files are written behind: settle() lands them, rewrites keep the last bytes and digest, failures surface', async () => {
  const root = join(await tempDir(), 'tree');
  const ledger = new DigestLedger({ scratchDir: await tempDir(), memoryBudget: 1 << 20 });
  const w = new DiskTreeWriter(root, ledger);
  const big = (fill: number): Buffer => Buffer.alloc(300 * 1024, fill);
  // 160 files of 300 KiB: more than the bytes allowed behind at once, so the queue drains as it goes.
  for (let i = 0; i < 160; i++) await w.writeFile(`big/f${i % 100}`, big(i));
  await w.writeFile('big/f7', 'small now');
  await w.settle();
  const digests = new Map<string, string>();
  for await (const d of ledger.digests()) digests.set(d.rel.toString(), d.hex);
  assert.equal(digests.size, 100);
  for (let i = 0; i < 100; i++) {
    const want = i === 7 ? Buffer.from('small now') : big(i < 60 ? i + 100 : i);
    assert.deepEqual(await fsp.readFile(join(root, `big/f${i}`)), want, `f${i}`);
    assert.equal(digests.get(`big/f${i}`), createHash('sha256').update(want).digest('hex'), `digest of f${i}`);
  }
  await fsp.mkdir(join(root, 'dir-in-the-way'));
  await w.writeFile('dir-in-the-way', big(1));
  await assert.rejects(w.settle(), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
});
