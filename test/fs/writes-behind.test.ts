// Writing a file behind the caller: the bytes in order whatever the queue does, a sync behind the writes every
// `syncEvery` bytes (one at a time, each after the bytes it covers were written), and failures of a write or of a
// sync reaching the caller. The file handle is a real one; the test only counts its calls.
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { WritesBehind, type WritableHandle } from '../../src/fs/writes-behind.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

interface CountedFile {
  readonly path: string;
  readonly fh: fsp.FileHandle;
  readonly handle: WritableHandle;
  readonly syncs: number[];
}

/**
 * A new file opened for writing, through a real file handle whose datasync calls are recorded with the bytes on
 * the file when each started (and fail with EIO when `failSync`).
 */
async function countedFile(failSync = false): Promise<CountedFile> {
  const path = join(await tempDir('ekv-behind-'), 'f');
  const fh = await fsp.open(path, 'w');
  const syncs: number[] = [];
  const handle: WritableHandle = {
    write: fh.write.bind(fh),
    datasync: async () => {
      syncs.push(readFileSync(path).length);
      if (failSync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      await fh.datasync();
    },
  };
  return { path, fh, handle, syncs };
}

/** Writes `count` blocks of `size` bytes, then waits for them all. */
async function writeBlocks(out: WritesBehind, count: number, size: number): Promise<void> {
  for (let i = 0; i < count; i++) await out.write(Buffer.alloc(size, i));
  await out.settle();
}

test('WritesBehind: the bytes in order, and a sync behind the writes every syncEvery bytes', async () => {
  const { path, fh, handle, syncs } = await countedFile();
  const written: number[] = [];
  const out = new WritesBehind(handle, (upTo) => written.push(upTo), 100_000);
  const chunks = Array.from({ length: 30 }, (_, i) => Buffer.alloc(20_000 + i, i));
  for (const c of chunks) await out.write(c);
  await out.settle();
  await fh.close();
  const whole = Buffer.concat(chunks);
  assert.ok(readFileSync(path).equals(whole));
  assert.equal(written.at(-1), whole.length);
  // ~600 kB in 20 kB writes with a sync every 100 kB: at least one sync, each started once at least its 100 kB more
  // were on the file, never two for the same stretch. How many depends on the disk: while one sync runs, none
  // other starts, and on a busy disk the first one can outlast every write (one sync, at 100,010 bytes).
  assert.ok(syncs.length >= 1 && syncs.length <= 6, `syncs: ${syncs.join(' ')}`);
  for (let i = 0; i < syncs.length; i++) {
    assert.ok((syncs[i] as number) - (syncs[i - 1] ?? 0) >= 100_000, `sync ${i} at ${syncs[i]}: ${syncs.join(' ')}`);
  }
});

test('WritesBehind: a sync every syncEvery bytes when each sync ends before the next write', async () => {
  const { fh, handle, syncs } = await countedFile();
  const out = new WritesBehind(handle, () => undefined, 100_000);
  for (let i = 0; i < 30; i++) {
    await out.write(Buffer.alloc(20_000, i));
    await out.settle();
  }
  await fh.close();
  // 600 kB in 20 kB writes, each sync done before the next write: one at every 100 kB, at the write that reached it.
  assert.deepEqual(syncs, [100_000, 200_000, 300_000, 400_000, 500_000, 600_000]);
});

test('WritesBehind: no sync behind the writes for a file smaller than syncEvery', async () => {
  const { fh, handle, syncs } = await countedFile();
  await writeBlocks(new WritesBehind(handle, () => undefined), 1, 1000);
  await fh.close();
  assert.deepEqual(syncs, []);
});

test('WritesBehind: a sync that fails behind the writes fails the next call', async () => {
  const { fh, handle } = await countedFile(true);
  const out = new WritesBehind(handle, () => undefined, 10_000);
  await assert.rejects(writeBlocks(out, 20, 10_000), (e: NodeJS.ErrnoException) => e.code === 'EIO');
  await fh.close();
});

test('WritesBehind: a write that fails fails the next call', async () => {
  const path = join(await tempDir('ekv-behind-'), 'f');
  await fsp.writeFile(path, '');
  const fh = await fsp.open(path, 'r'); // writes fail with EBADF
  const out = new WritesBehind(fh, () => undefined);
  await assert.rejects(writeBlocks(out, 8, 1000), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
  await fh.close();
});
