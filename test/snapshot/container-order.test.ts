// The container's order is part of the format: rows sorted by encoded key, each key once. A duplicated row or two
// rows swapped used to decode with exit 0 into a tree the encoder then refused (issue 15); now the reader refuses
// them with the offending row's offset.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

const SAMPLE = new URL('../../examples/sample.fsm', import.meta.url).pathname;

/** Offsets and lengths of the entries of a native snapshot. */
function entries(b: Buffer): Array<{ off: number; len: number }> {
  const out: Array<{ off: number; len: number }> = [];
  let off = 16;
  while (off < b.length) {
    const kl = Number(b.readBigUInt64LE(off));
    const vl = Number(b.readBigUInt64LE(off + 8 + kl));
    out.push({ off, len: 16 + kl + vl });
    off += 16 + kl + vl;
  }
  return out;
}

function entryAt(e: Array<{ off: number; len: number }>, i: number): { off: number; len: number } {
  const row = e[i];
  assert.ok(row !== undefined, `entry ${i} exists`);
  return row;
}

async function decodeBytes(bytes: Buffer): Promise<{ code: number; stderr: string }> {
  const dir = await tempDir('ekv-order-');
  const input = join(dir, 'in.fsm');
  await fsp.writeFile(input, bytes);
  const r = await runCli('elastickv-snapshot', ['decode', '--quiet', '--input', input, '--output', join(dir, 'out')]);
  assert.deepEqual(await fsp.readdir(dir), ['in.fsm'], 'a failed decode leaves nothing behind');
  return r;
}

test('a duplicated row is refused with its offset (exit 2, SNAPSHOT_DUPLICATE_KEY)', async () => {
  const b = await fsp.readFile(SAMPLE);
  const e = entries(b);
  for (const i of [0, Math.floor(e.length / 2), e.length - 1]) {
    const row = entryAt(e, i);
    const bytes = Buffer.concat([
      b.subarray(0, row.off + row.len),
      b.subarray(row.off, row.off + row.len),
      b.subarray(row.off + row.len),
    ]);
    const r = await decodeBytes(bytes);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`\\[SNAPSHOT_DUPLICATE_KEY\\]: .*offset ${row.off + row.len}, key `), r.stderr);
  }
});

test('two rows out of key order are refused with the second one\'s offset (exit 2, SNAPSHOT_KEY_ORDER)', async () => {
  const b = await fsp.readFile(SAMPLE);
  const e = entries(b);
  for (const i of [0, Math.floor(e.length / 2), e.length - 2]) {
    const a = entryAt(e, i);
    const c = entryAt(e, i + 1);
    const bytes = Buffer.concat([
      b.subarray(0, a.off),
      b.subarray(c.off, c.off + c.len),
      b.subarray(a.off, a.off + a.len),
      b.subarray(c.off + c.len),
    ]);
    const r = await decodeBytes(bytes);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`\\[SNAPSHOT_KEY_ORDER\\]: .*offset ${a.off + c.len}, key `), r.stderr);
  }
});
