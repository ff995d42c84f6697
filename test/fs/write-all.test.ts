import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, promises as fsp, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_WRITE_CALL, writeAll, writeAllAt, writeAllSync } from '../../src/fs/write-all.ts';

/** Bytes no two positions of which repeat within a write call's length, so a misplaced call shows. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + Math.floor(i / 251) + seed) & 0xff;
  return b;
}

test('writeAll, writeAllSync and writeAllAt write buffers of many calls whole, at their positions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ekv-write-all-'));
  try {
    const a = pattern(3 * MAX_WRITE_CALL + 17, 1);
    const b = pattern(MAX_WRITE_CALL - 1, 2);
    const c = pattern(2 * MAX_WRITE_CALL, 3);
    const want = Buffer.concat([a, b, c]);

    const appended = join(dir, 'appended');
    const fd = openSync(appended, 'w');
    writeAllSync(fd, a);
    writeAllSync(fd, b);
    writeAllSync(fd, c);
    writeAllSync(fd, Buffer.alloc(0));
    closeSync(fd);
    assert.ok(readFileSync(appended).equals(want));

    // Positioned, out of order.
    const positioned = join(dir, 'positioned');
    const fh = await fsp.open(positioned, 'w');
    await writeAll(fh, c, a.length + b.length);
    await writeAll(fh, a, 0);
    await writeAll(fh, b, a.length);
    await fh.close();
    assert.ok(readFileSync(positioned).equals(want));

    const threaded = join(dir, 'threaded');
    const fd2 = openSync(threaded, 'w');
    await Promise.all([writeAllAt(fd2, b, a.length), writeAllAt(fd2, c, a.length + b.length), writeAllAt(fd2, a, 0)]);
    closeSync(fd2);
    assert.ok(readFileSync(threaded).equals(want));

    const streamed = join(dir, 'streamed');
    const fh2 = await fsp.open(streamed, 'w');
    for (const part of [a, b, c]) await writeAll(fh2, part);
    await fh2.close();
    assert.ok(readFileSync(streamed).equals(want));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
