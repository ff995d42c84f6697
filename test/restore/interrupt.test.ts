// SIGINT while prepare-restore copies the payload into `<data-dir>.restore-prep`: exit 130, the temporary
// directory is removed, nothing appears at --data-dir.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { buildFsm } from '../helpers/fsm.ts';

const child = new URL('../helpers/cli-child.ts', import.meta.url).pathname;

test('SIGINT during prepare-restore: exit 130, no .restore-prep left, nothing at --data-dir', async () => {
  const dir = await tempDir('ekv-restore-int-');
  const input = join(dir, 'x.fsm');
  const payload = buildFsm(100n, Array.from({ length: 40000 }, (_, i) => ({ key: `k-${i}`, value: Buffer.alloc(1024, i % 251) })));
  await fsp.writeFile(input, payload);
  const sha = createHash('sha256').update(payload).digest('hex');
  await fsp.writeFile(`${input}.encode_info.json`, JSON.stringify({ format_version: 1, encoder_key_format_version: 1, output_fsm_sha256: sha, self_test: { ran: true, matched: true } }));
  const args = ['prepare-restore', '--input', input, '--data-dir', join(dir, 'n1'), '--index', '1', '--peers', 'n1=127.0.0.1:1', '--allow-missing-cluster-id'];
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (c) => (stderr += String(c)));
  // An interrupted run dies of the signal (exit status 128+signal, what a shell reports).
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code, sig) => { resolve(code ?? (sig === null ? null : 128 + constants.signals[sig])); }));
  const state = { done: false };
  void exited.then(() => {
    state.done = true;
  });
  let sent = false;
  while (!state.done) {
    if ((await fsp.readdir(dir)).includes('n1.restore-prep')) {
      proc.kill('SIGINT');
      sent = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const code = await exited;
  assert.ok(sent, `prepare-restore finished before it could be interrupted: ${stderr}`);
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted by SIGINT; temporary files removed/);
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['x.fsm', 'x.fsm.encode_info.json']);
});
