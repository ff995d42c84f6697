import assert from 'node:assert/strict';
import { promises as fsp, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { FileChunks } from '../../src/snapshot/file-chunks.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

/** A file of `bytes` bytes whose every 4-byte word holds its own offset, so any slice tells where it came from. */
function patterned(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) b.writeUInt32LE(i, i);
  return b;
}

test('FileChunks: the chunks it delivers are the file minus what was skipped, at the positions it reports', async () => {
  const dir = await tempDir();
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 3 << 20 }),
      // After each chunk: take it whole, or skip a number of bytes (small, around a read's size, or large).
      fc.array(
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 << 10 }), fc.integer({ min: 1, max: 2 << 20 })),
        { maxLength: 60 },
      ),
      async (size, skips) => {
        const data = patterned(size);
        const path = join(dir, `f${n++}`);
        writeFileSync(path, data);
        const chunks = new FileChunks(await fsp.open(path, 'r'));
        let pos = 0;
        // Kept as delivered (views), checked again at the end: a later read must not write over an earlier chunk.
        const delivered: Array<[number, Uint8Array]> = [];
        for (let i = 0; ; i++) {
          const r = await chunks.next();
          if (r.done === true) break;
          delivered.push([pos, r.value]);
          const c = Buffer.from(r.value);
          assert.ok(c.length > 0, 'no empty chunk');
          assert.deepEqual(c, data.subarray(pos, pos + c.length), `chunk at ${pos}`);
          pos += c.length;
          assert.equal(chunks.position, pos);
          const skip = skips[i % Math.max(1, skips.length)] ?? 0;
          if (skip > 0) {
            chunks.skip(skip);
            pos += skip;
            assert.equal(chunks.position, pos);
          }
        }
        assert.ok(pos >= size, `ended at ${pos} of ${size}`);
        for (const [at, c] of delivered) assert.deepEqual(Buffer.from(c), data.subarray(at, at + c.length), `chunk at ${at}, at the end`);
        assert.deepEqual(await chunks.next(), { value: undefined, done: true });
      },
    ),
    { numRuns: 60 },
  );
});

test('FileChunks: return() closes the file, also in the middle of it', async () => {
  const path = join(await tempDir(), 'f');
  writeFileSync(path, patterned(3 << 20));
  const handle = await fsp.open(path, 'r');
  const chunks = new FileChunks(handle);
  await chunks.next();
  await chunks.return();
  assert.equal(handle.fd, -1);
  assert.deepEqual(await chunks.next(), { value: undefined, done: true });
});
