// removeTree: batches of entries, nested directories, symlinks unlinked and never followed.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { test } from 'node:test';
import { removeTree } from '../../src/tree/remove-tree.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

test('removes a tree larger than one batch, nested directories and odd names; a missing path is fine', async () => {
  const root = await tempDir();
  const victim = `${root}/victim`;
  await fsp.mkdir(`${victim}/a/b/c`, { recursive: true });
  for (let i = 0; i < 2500; i++) await fsp.writeFile(`${victim}/f${i}`, '');
  await fsp.writeFile(`${victim}/a/b/c/deep`, 'x');
  await fsp.writeFile(Buffer.from(`${victim}/a/\xff name\nx`, 'latin1'), 'x');
  removeTree(victim);
  assert.equal(existsSync(victim), false);
  removeTree(victim);
  removeTree(`${root}/never-was`);
});

test('a symlink inside is removed, its target is not touched', async () => {
  const root = await tempDir();
  await fsp.mkdir(`${root}/keep`);
  await fsp.writeFile(`${root}/keep/precious`, 'p');
  await fsp.mkdir(`${root}/victim`);
  await fsp.symlink(`${root}/keep`, `${root}/victim/link`);
  removeTree(`${root}/victim`);
  assert.equal(existsSync(`${root}/victim`), false);
  assert.equal(await fsp.readFile(`${root}/keep/precious`, 'utf8'), 'p');
});
