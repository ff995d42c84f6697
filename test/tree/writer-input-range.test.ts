import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream, promises as fsp, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEkvError } from '../../src/errors.ts';
import { InputRange, type InputFile } from '../../src/snapshot/input-range.ts';
import { DigestLedger } from '../../src/tree/digest-ledger.ts';
import { DiskTreeWriter } from '../../src/tree/writer.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { BATCH_THREADS } from '../helpers/batch-threads.ts';

/** An input file of random bytes, and its identity. */
async function inputFile(bytes: number): Promise<{ file: InputFile; data: Buffer }> {
  const path = join(await tempDir(), 'input.fsm');
  const data = randomBytes(bytes);
  writeFileSync(path, data);
  const st = statSync(path);
  return { file: { path, dev: st.dev, ino: st.ino }, data };
}

for (const { name, digestHereAt } of BATCH_THREADS) {
  test(`files copied from ranges of the input land with their bytes and digests, between files written from memory (copied by ${name})`, async () => {
    const { file, data } = await inputFile(6 << 20);
    const root = join(await tempDir(), 'tree');
    const ledger = new DigestLedger({ scratchDir: await tempDir(), memoryBudget: 1 << 20 });
    const w = new DiskTreeWriter(root, ledger, { digestHereAt, smallFilesInline: 0 });
    // Ranges of 0 bytes to 5 MiB (past a batch's 4 MiB), many to a batch, then rewrites of a few paths.
    const want = new Map<string, Buffer>();
    for (let i = 0; i < 120; i++) {
      const rel = `r/${i % 90}`;
      if (i % 7 === 3) {
        const bytes = Buffer.from(`memory ${i}`);
        await w.writeFile(rel, bytes);
        want.set(rel, bytes);
        continue;
      }
      const length = i % 31 === 0 ? 5 << 20 : i % 5 === 0 ? 0 : (i * 7919) % (300 * 1024);
      const position = (i * 104729) % (data.length - length);
      await w.writeFileFromInput(rel, new InputRange(file, position, length));
      want.set(rel, data.subarray(position, position + length));
    }
    await w.settle();
    const digests = new Map<string, string>();
    for await (const d of ledger.digests()) digests.set(d.rel.toString(), d.hex);
    assert.equal(digests.size, want.size);
    for (const [rel, bytes] of want) {
      assert.deepEqual(await fsp.readFile(join(root, rel)), bytes, rel);
      assert.equal(digests.get(rel), createHash('sha256').update(bytes).digest('hex'), `digest of ${rel}`);
    }
    await w.close();
  });

  test(`a range of a replaced or shortened input is refused with INPUT_CHANGED (copied by ${name})`, async () => {
    const { file } = await inputFile(1 << 20);
    const root = join(await tempDir(), 'tree');
    const cases: ReadonlyArray<readonly [string, InputRange, RegExp]> = [
      ['another file', new InputRange({ ...file, ino: file.ino + 1 }, 0, 10), /replaced/],
      ['past its end', new InputRange(file, (1 << 20) - 10, 20), /shorter/],
    ];
    for (const [what, range, reason] of cases) {
      const dir = join(root, what.replace(/ /g, '-'));
      await fsp.mkdir(dir, { recursive: true });
      const w = new DiskTreeWriter(dir, undefined, { digestHereAt, smallFilesInline: 0 });
      // Two batches, so the calling thread copies the second when it copies at all.
      await w.writeFileFromInput('ok', new InputRange(file, 0, 1000));
      await w.writeFileFromInput('bad', range);
      await assert.rejects(
        w.close(),
        (e: unknown) => isEkvError(e) && e.code === 'INPUT_CHANGED' && reason.test((e as Error).message) && (e as Error).message.includes(file.path),
        what,
      );
    }
  });
}

test('while the writer thread is stuck on a file, the calling thread goes on copying ranges itself', async () => {
  // Each range is over half a batch, so each goes alone in a batch; the first file's path is a FIFO, whose open
  // holds the writer thread until a reader comes. The calling thread must not wait for that oldest batch while it
  // can copy the next ones itself.
  const { file, data } = await inputFile((2 << 20) + 1);
  const root = join(await tempDir(), 'tree');
  mkdirSync(join(root, 'r'), { recursive: true });
  const fifo = join(root, 'r', '0');
  execFileSync('mkfifo', [fifo]);
  const ledger = new DigestLedger({ scratchDir: await tempDir(), memoryBudget: 1 << 20 });
  const w = new DiskTreeWriter(root, ledger, { smallFilesInline: 0 });
  const range = new InputRange(file, 0, data.length);
  const files = 30;
  const writing = (async () => {
    for (let i = 0; i < files; i++) await w.writeFileFromInput(`r/${i}`, range);
  })();
  const gathered = await Promise.race([writing.then(() => true), new Promise((r) => setTimeout(r, 10_000, false))]);
  // Let the writer thread go: read what it writes into the FIFO.
  const drained = new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    createReadStream(fifo)
      .on('data', (c) => {
        parts.push(c as Buffer);
      })
      .on('end', () => {
        resolve(Buffer.concat(parts));
      })
      .on('error', reject);
  });
  await writing;
  await w.settle();
  assert.ok(gathered, 'the calling thread waited for the stuck writer thread');
  assert.deepEqual(await drained, data);
  for (let i = 1; i < files; i++) assert.deepEqual(readFileSync(join(root, 'r', String(i))), data, `r/${i}`);
  await w.close();
});
