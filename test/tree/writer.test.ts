import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEkvError } from '../../src/errors.ts';
import { DiskTreeWriter } from '../../src/tree/writer.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

const tooLong = (re: RegExp) => (e: unknown): boolean => isEkvError(e) && e.code === 'TREE_NAME_TOO_LONG' && e.exitClass === 'user' && re.test(e.message);

test('a name the file system refuses is a coded error naming the path, not ENAMETOOLONG', async () => {
  const root = join(await tempDir(), 'tree');
  const w = new DiskTreeWriter(root);
  await assert.rejects(w.create(`s3/${'n'.repeat(300)}`), tooLong(/^s3\/n+: a 300-byte name exceeds the file system's 255-byte limit$/), 'a 300-byte component');
  await assert.rejects(w.mkdir(`s3/${'n'.repeat(300)}/x`), tooLong(/300-byte name/), 'a 300-byte directory');
  const deep = Array.from({ length: 20 }, () => 'd'.repeat(250)).join('/');
  await assert.rejects(w.writeFile(`${deep}/f`, 'x'), tooLong(/shorter path/), 'a path over PATH_MAX');
  await w.writeFile(`ok/${'n'.repeat(255)}`, 'x');
});
