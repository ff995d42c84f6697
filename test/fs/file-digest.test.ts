import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WrittenFileDigest } from '../../src/fs/file-digest.ts';

/** Writes `chunks` to a new file at `path` as encode does: each handed over, then written, then reported written. */
async function writeDigested(path: string, chunks: readonly Buffer[], inlineBytes: number): Promise<string> {
  const fh = await fsp.open(path, 'w');
  const digest = new WrittenFileDigest(path, inlineBytes);
  try {
    let at = 0;
    for (const c of chunks) {
      digest.chunk(c);
      await fh.write(c, 0, c.length, at);
      at += c.length;
      digest.written(at);
    }
    return await digest.digest();
  } finally {
    await fh.close();
    await digest.close();
  }
}

test('WrittenFileDigest: the SHA-256 of what was written, inline for small files and read back by a worker past the limit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ekv-digest-'));
  try {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(70_001 + i, i));
    const want = createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
    for (const inline of [0, 1, 200_000, 70_001 * 40 + 1000]) {
      assert.equal(await writeDigested(join(dir, `f${inline}`), chunks, inline), want, `inline ${inline}`);
    }
    assert.equal(await writeDigested(join(dir, 'empty'), [], 0), createHash('sha256').digest('hex'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('WrittenFileDigest: a file that is not there to read back is an error, not a digest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ekv-digest-'));
  try {
    const path = join(dir, 'gone');
    const digest = new WrittenFileDigest(path, 10);
    digest.chunk(Buffer.alloc(100));
    digest.written(100);
    await assert.rejects(digest.digest(), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    await digest.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
