// Ctrl-C (SIGINT) or SIGTERM in the middle of a decode or an encode: exit 130/143, a message, and none of the
// run's temporary files left behind (staging tree, spill files, `<output>.tmp-*`, self-test scratch).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeWith, tempDir } from '../helpers/adapter-harness.ts';
import { echoAdapter } from '../helpers/echo-adapter.ts';
import { buildFsm } from '../helpers/fsm.ts';

const child = new URL('../helpers/cli-child.ts', import.meta.url).pathname;

/**
 * Runs the CLI, sends `signal` as soon as `started(dir listing)` says the run is under way; returns exit code and
 * stderr.
 */
async function interrupt(
  args: string[],
  watch: string,
  started: (names: string[]) => boolean,
  signal: NodeJS.Signals,
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number | null; stderr: string; sent: boolean }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  proc.stderr.on('data', (c) => (stderr += String(c)));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code, sig) => { resolve(code ?? (sig === null ? null : 128 + constants.signals[sig])); }));
  const state = { done: false };
  void exited.then(() => {
    state.done = true;
  });
  let sent = false;
  while (!state.done) {
    if (started(await fsp.readdir(watch))) {
      proc.kill(signal);
      sent = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { code: await exited, stderr, sent };
}

const rows = Array.from({ length: 30000 }, (_, i) => ({ key: `!echo|key-${i}`, value: Buffer.alloc(256, i % 251) }));

test('SIGINT during a decode: exit 130, no staging tree or spill directory left, nothing at the output', async () => {
  const dir = await tempDir('ekv-int-');
  const input = join(dir, 'in.fsm');
  await fsp.writeFile(input, buildFsm(100n, rows));
  const output = join(dir, 'tree');
  const r = await interrupt(['decode', '--quiet', '--adapter', 'redis', '--input', input, '--output', output], dir, (n) => n.some((x) => x.includes('.partial-')), 'SIGINT');
  assert.ok(r.sent, 'the decode finished before it could be interrupted');
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted by SIGINT; temporary files removed/);
  assert.deepEqual(await fsp.readdir(dir), ['in.fsm']);
});

test('SIGINT during a decode to an archive: exit 130, no <output>.tmp-*, scratch or spool files left', async () => {
  const dir = await tempDir('ekv-int-');
  const input = join(dir, 'in.fsm');
  await fsp.writeFile(input, buildFsm(100n, rows));
  const r = await interrupt(['decode', '--quiet', '--adapter', 'redis', '--input', input, '--output', join(dir, 'out.tar.zst')], dir, (n) => n.some((x) => x.startsWith('.ekv-decode-archive-')), 'SIGINT');
  assert.ok(r.sent, 'the decode finished before it could be interrupted');
  assert.equal(r.code, 130, r.stderr);
  assert.deepEqual(await fsp.readdir(dir), ['in.fsm']);
});

test('SIGTERM during an encode with --self-test: exit 143, no <output>.tmp-*, spill or self-test scratch left', async () => {
  const { tree } = await decodeWith([echoAdapter('redis', '!echo|')], buildFsm(100n, rows));
  const dir = await tempDir('ekv-int-');
  const scratch = await tempDir('ekv-int-scratch-');
  const output = join(dir, 'out.fsm');
  const r = await interrupt(
    ['encode', '--quiet', '--self-test', '--adapter', 'redis', '--scratch-root', scratch, '--input', tree, '--output', output],
    dir,
    (n) => n.some((x) => x.includes('.tmp-')),
    'SIGTERM',
  );
  assert.ok(r.sent, 'the encode finished before it could be interrupted');
  assert.equal(r.code, 143, r.stderr);
  assert.deepEqual(await fsp.readdir(dir), []);
  assert.deepEqual(await fsp.readdir(scratch), []);
});

test('SIGINT during verify of a tree: exit 130, its ekv-verify-* scratch directory under TMPDIR removed', async () => {
  const many = Array.from({ length: 20000 }, (_, i) => ({ key: `!echo|k/${i % 50}/${i}`, value: 'v' }));
  const { tree } = await decodeWith([echoAdapter('redis', '!echo|')], buildFsm(100n, many));
  const tmp = await tempDir('ekv-int-tmp-');
  const r = await interrupt(['verify', '--quiet', '--input', tree], tmp, (n) => n.some((x) => x.startsWith('ekv-verify-')), 'SIGINT', { TMPDIR: tmp });
  assert.ok(r.sent, 'verify finished before it could be interrupted');
  assert.equal(r.code, 130, r.stderr);
  assert.deepEqual((await fsp.readdir(tmp)).filter((n) => !n.startsWith('tsx-')), []);
});
