// The fuzzer's hostile-tree operations tolerate each other: a later operation of a case on an entry an earlier one
// removed, replaced or renamed does not crash the harness (a 14-minute campaign died with ENOENT renaming
// `_bucket.json` onto its own name).
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { applyTreeOp, type TreeOp } from './engine.ts';

async function tree(): Promise<string> {
  const root = await tempDir('ekv-fuzz-ops-');
  mkdirSync(join(root, 's3/photos'), { recursive: true });
  writeFileSync(join(root, 's3/photos/_bucket.json'), '{}');
  writeFileSync(join(root, 'MANIFEST.json'), '{}');
  writeFileSync(join(root, 'b.txt'), 'body');
  return root;
}

const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

test('fuzz tree ops: a rename onto the entry\'s own name leaves it in place', async () => {
  const root = await tree();
  applyTreeOp(root, { op: 'rename', path: 's3/photos/_bucket.json', nameHex: hex('_bucket.json') });
  assert.equal(readFileSync(join(root, 's3/photos/_bucket.json'), 'utf8'), '{}');
});

test('fuzz tree ops: operations on an entry an earlier one removed or replaced do nothing', async () => {
  const root = await tree();
  const ops: TreeOp[] = [
    { op: 'remove', path: 's3/photos' },
    { op: 'rename', path: 's3/photos/_bucket.json', nameHex: hex('x.json') },
    { op: 'truncate', path: 's3/photos/_bucket.json', at: 1 },
    { op: 'flip', path: 's3/photos/_bucket.json', at: 0 },
    { op: 'append', path: 's3/photos/_bucket.json', hex: '0a' },
    { op: 'sparse', path: 's3/photos/_bucket.json', size: 1 << 20 },
    { op: 'hardlink', path: 's3/photos/_bucket.json' },
    { op: 'dir', path: 'b.txt' },
    { op: 'truncate', path: 'b.txt', at: 1 },
    { op: 'append', path: 'b.txt', hex: '0a' },
    { op: 'hardlink', path: 'b.txt' },
  ];
  for (const op of ops) applyTreeOp(root, op);
  assert.equal(existsSync(join(root, 's3/photos')), false);
  assert.ok(lstatSync(join(root, 'b.txt')).isDirectory());
  assert.equal(existsSync(join(root, 'b.txt.link')), false);
});

test('fuzz tree ops: a second hard link of a file replaces the first', async () => {
  const root = await tree();
  applyTreeOp(root, { op: 'hardlink', path: 'b.txt' });
  applyTreeOp(root, { op: 'hardlink', path: 'b.txt' });
  assert.equal(lstatSync(join(root, 'b.txt')).nlink, 2);
});

test('fuzz tree ops: a hard link of a file whose name is at NAME_MAX gets a shortened name (a 30-minute campaign died with ENAMETOOLONG)', async () => {
  const root = await tree();
  const long = `${'f'.repeat(235)}.elastickv-meta.json`;
  writeFileSync(join(root, long), 'x');
  applyTreeOp(root, { op: 'hardlink', path: long });
  assert.equal(lstatSync(join(root, long)).nlink, 2);
});
