// The safe open: regular files only, refused before opening (a FIFO never blocks), symlinks only for inputs,
// coded errors by role, bounded whole-file reads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEkvError } from '../../src/errors.ts';
import { openRegular, openRegularSync, readRegularSync } from '../../src/fs/safe-open.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

const code = (c: string, exit: 1 | 2) => (err: unknown) => isEkvError(err) && err.code === c && (err.exitClass === 'data' ? 2 : 1) === exit;

test('regular files open and read; a symlink is followed only for an input', async () => {
  const dir = await tempDir('ekv-safe-');
  const f = join(dir, 'f');
  await fsp.writeFile(f, 'hello');
  await fsp.symlink(f, join(dir, 'link'));
  assert.equal(readRegularSync(f, 10, { role: 'tree' }).toString(), 'hello');
  const { handle } = await openRegular(join(dir, 'link'), { role: 'input' });
  assert.equal((await handle.readFile()).toString(), 'hello');
  await handle.close();
  assert.throws(() => readRegularSync(join(dir, 'link'), 10, { role: 'tree' }), code('TREE_SYMLINK', 2));
  assert.throws(() => readRegularSync(join(dir, 'link'), 10, { role: 'encode-info' }), code('ENCODE_INFO_SYMLINK', 2));
});

test('FIFOs, directories and sockets are refused before opening, with the role deciding code and exit class', async () => {
  const dir = await tempDir('ekv-safe-');
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  await assert.rejects(openRegular(fifo, { role: 'input' }), code('INPUT_NOT_FILE', 1));
  assert.throws(() => readRegularSync(fifo, 10, { role: 'tree' }), code('TREE_NOT_REGULAR', 2));
  assert.throws(() => readRegularSync(dir, 10, { role: 'encode-info', shown: 'x.json' }), (err: unknown) => code('ENCODE_INFO_NOT_REGULAR', 2)(err) && /^x\.json: not a regular file \(directory\)$/.test((err as Error).message));
  assert.throws(() => readRegularSync('/dev/null', 10, { role: 'input' }), code('INPUT_NOT_FILE', 1));
});

test('a path listed as a regular file is opened without the lstat, and refused after the open when it is not one', async () => {
  const dir = await tempDir('ekv-safe-');
  const listed = { role: 'tree', listedRegular: true } as const;
  const f = join(dir, 'f');
  await fsp.writeFile(f, 'hello');
  const { fd, stat } = openRegularSync(f, listed);
  closeSync(fd);
  assert.equal(stat.size, 5);
  // Entries swapped for something else after the listing: the non-blocking open of the FIFO returns at once.
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => openRegularSync(fifo, listed), (err: unknown) => code('TREE_NOT_REGULAR', 2)(err) && /\(FIFO\)$/.test((err as Error).message));
  await assert.rejects(openRegular(fifo, listed), code('TREE_NOT_REGULAR', 2));
  await fsp.symlink(f, join(dir, 'link'));
  assert.throws(() => openRegularSync(join(dir, 'link'), listed), code('TREE_SYMLINK', 2));
  assert.throws(() => openRegularSync(dir, listed), code('TREE_NOT_REGULAR', 2));
  assert.throws(() => openRegularSync(join(dir, 'gone'), { role: 'encode-info', listedRegular: true }), code('ENCODE_INFO_MISSING', 2));
});

test('absent, unreadable and oversized files are told apart', async () => {
  const dir = await tempDir('ekv-safe-');
  assert.throws(() => readRegularSync(join(dir, 'none'), 10, { role: 'encode-info' }), code('ENCODE_INFO_MISSING', 2));
  const big = join(dir, 'big');
  await fsp.writeFile(big, Buffer.alloc(11));
  assert.throws(() => readRegularSync(big, 10, { role: 'encode-info' }), code('ENCODE_INFO_TOO_LARGE', 2));
  if (process.getuid?.() !== 0) {
    await fsp.chmod(big, 0);
    assert.throws(() => readRegularSync(big, 100, { role: 'input' }), code('INPUT_UNREADABLE', 1));
  }
});
