import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SmallFileWriter } from '../../src/tree/small-files.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

test('batches the writer thread has written are no longer queued, before this thread takes in its replies', async () => {
  const root = await tempDir();
  const w = new SmallFileWriter(root, true, Infinity);
  const done: Array<Promise<string[]>> = [];
  for (let i = 0; i < 3; i++) {
    const data = Buffer.from(`file ${i}`);
    w.add(Buffer.from(`f${i}`), data, data.length);
    const posted = w.post();
    assert.ok(posted !== undefined);
    done.push(posted.done);
  }
  // No turn of the event loop until the worker has written them: its replies wait, its count does not.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 20_000;
  while (w.queued > 0 && Date.now() < deadline) Atomics.wait(pause, 0, 0, 5);
  assert.equal(w.queued, 0);
  const hex = await Promise.all(done);
  for (let i = 0; i < 3; i++) {
    const bytes = readFileSync(join(root, `f${i}`));
    assert.equal(bytes.toString(), `file ${i}`);
    assert.deepEqual(hex[i], [createHash('sha256').update(bytes).digest('hex')]);
  }
  await w.close();
});

test('a writer thread started ahead of any batch writes them when they come, and holds no process open', async () => {
  const root = await tempDir();
  const w = new SmallFileWriter(root, true);
  w.start();
  const data = Buffer.from('after start');
  w.add(Buffer.from('f'), data, data.length);
  const posted = w.post();
  assert.ok(posted !== undefined);
  assert.deepEqual(await posted.done, [createHash('sha256').update(data).digest('hex')]);
  assert.equal(readFileSync(join(root, 'f'), 'utf8'), 'after start');
  await w.close();
  // Started and never used nor closed: the process still ends.
  const url = new URL('../../src/tree/small-files.ts', import.meta.url).href;
  const script = `const { SmallFileWriter } = await import(${JSON.stringify(url)}); new SmallFileWriter('/nonexistent', false).start();`;
  const child = spawnSync(process.execPath, ['--conditions=elastickv-snapshot-source', '--import', 'tsx', '--input-type=module', '-e', script], {
    timeout: 30_000,
    encoding: 'utf8',
  });
  assert.equal(child.signal, null, 'the process did not end by itself');
  assert.equal(child.status, 0, child.stderr);
});
