// TreeReader's listings and reads: entry kinds from the directory's types, symlinks and special files refused in
// listings, hard links refused when a file is read (also a file read right after its listing).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEkvError } from '../../src/errors.ts';
import { TreeReader } from '../../src/tree/reader.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

const code = (c: string) => (err: unknown) => isEkvError(err) && err.code === c;

async function collect(tree: TreeReader, rel: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of tree.entries(rel)) out.push(`${e.name}:${e.kind}`);
  return out.sort();
}

test('listings give files and directories their kinds and refuse symlinks and FIFOs by type', async () => {
  const root = await tempDir('ekv-reader-');
  await fsp.mkdir(join(root, 'd/sub'), { recursive: true });
  await fsp.writeFile(join(root, 'd/b'), 'bee');
  await fsp.writeFile(join(root, 'd/a'), 'a');
  const tree = new TreeReader(root);
  assert.deepEqual((await tree.list('d')).map((e) => `${e.name}:${e.kind}`), ['a:file', 'b:file', 'sub:dir']);
  assert.deepEqual(await collect(tree, 'd'), ['a:file', 'b:file', 'sub:dir']);

  await fsp.symlink(join(root, 'd/a'), join(root, 'd/link'));
  await assert.rejects(tree.list('d'), code('TREE_SYMLINK'));
  await assert.rejects(collect(tree, 'd'), code('TREE_SYMLINK'));
  await fsp.rm(join(root, 'd/link'));
  execFileSync('mkfifo', [join(root, 'd/fifo')]);
  await assert.rejects(tree.list('d'), code('TREE_NOT_REGULAR'));
  await assert.rejects(collect(tree, 'd'), code('TREE_NOT_REGULAR'));
});

test('reads of listed files: bytes or the file found, hard links and swapped entries refused', async () => {
  const root = await tempDir('ekv-reader-');
  await fsp.mkdir(join(root, 'd'));
  await fsp.writeFile(join(root, 'd/small'), 'abc');
  await fsp.writeFile(join(root, 'd/large'), Buffer.alloc(100, 7));
  const tree = new TreeReader(root);
  const listed = { listed: true } as const;
  assert.equal((await tree.readFile('d/small', undefined, listed)).toString(), 'abc');
  const found = await tree.readOrFind('d/large', 10, undefined, listed);
  assert.ok(!Buffer.isBuffer(found) && found.size === 100);
  await assert.rejects(tree.readFile('d/large', 10, listed), code('TREE_FILE_TOO_LARGE'));

  // A hard link lists as a file; reading it is refused, listed or not.
  await fsp.link(join(root, 'd/small'), join(root, 'other'));
  assert.deepEqual(await collect(tree, 'd'), ['large:file', 'small:file']);
  await assert.rejects(tree.readFile('d/small', undefined, listed), code('TREE_HARDLINK'));
  await assert.rejects(tree.readOrFind('d/small', 10, undefined, listed), code('TREE_HARDLINK'));
  await assert.rejects(tree.readFile('d/small'), code('TREE_HARDLINK'));

  // Entries replaced after their listing.
  await fsp.rm(join(root, 'd/small'));
  await assert.rejects(tree.readFile('d/small', undefined, listed), code('TREE_MISSING'));
  execFileSync('mkfifo', [join(root, 'd/small')]);
  await assert.rejects(tree.readFile('d/small', undefined, listed), code('TREE_NOT_REGULAR'));
  await fsp.rm(join(root, 'd/small'));
  await fsp.symlink(join(root, 'd/large'), join(root, 'd/small'));
  await assert.rejects(tree.readFile('d/small', undefined, listed), code('TREE_SYMLINK'));
});
