// Killing the encoder with SIGKILL at any moment must never leave anything at <output> but the complete,
// valid result: the file is written under a temporary name and renamed only once fsynced (and self-tested).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildFsm } from '../helpers/fsm.ts';
import { decodeWith, tempDir } from '../helpers/adapter-harness.ts';
import { echoAdapter } from '../helpers/echo-adapter.ts';

const child = new URL('../helpers/encode-child.ts', import.meta.url).pathname;

test('SIGKILL at many points during an encode never leaves a partial file at the output path', async () => {
  const rows = Array.from({ length: 4000 }, (_, i) => ({ key: `!echo|key-${i}`, value: Buffer.alloc(512, i % 251) }));
  const expected = buildFsm(100n, rows);
  const { tree } = await decodeWith([echoAdapter('redis', '!echo|')], expected);
  const dir = await tempDir('ekv-crash-');
  const delays = [30, 120, 250, 400, 600, 800, 1000, 1300, 1700, 2500];
  let killedBeforePublish = 0;
  let completed = 0;
  for (const [i, delay] of delays.entries()) {
    const output = join(dir, `out-${i}.fsm`);
    const proc = spawn(process.execPath, ['--import', 'tsx', child, tree, output], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => { resolve(code); }));
    const timer = setTimeout(() => proc.kill('SIGKILL'), delay);
    const code = await exited;
    clearTimeout(timer);
    const published = await fsp.readFile(output).catch(() => undefined);
    if (published === undefined) {
      killedBeforePublish++;
      continue;
    }
    assert.deepEqual(published, expected, `output after kill at ${delay} ms (exit ${code}) must be complete`);
    completed++;
  }
  assert.ok(killedBeforePublish > 0, 'some runs must have been killed mid-encode');
  // Whatever temp files a killed run left use private names, never the output's.
  for (const name of await fsp.readdir(dir)) assert.match(name, /^out-\d+\.fsm(\.tmp-[0-9a-f]{16})?$|^\.encode-sort-|^encode-self-test-/);
  assert.ok(killedBeforePublish + completed === delays.length);
});
