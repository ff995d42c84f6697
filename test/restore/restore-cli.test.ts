// `restore`: a tree is encoded with the self-test and prepared in one step; a `.fsm` is prepared directly.
// The result equals what encode + prepare-restore give; refusals leave nothing at --data-dir and no scratch.

import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

const TREE = new URL('../../examples/sample-tree', import.meta.url).pathname;
const TARGET = ['--index', '100', '--peers', 'n1=127.0.0.1:50051', '--target-cluster-id', 'sample', '--quiet'];

async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await fsp.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const p = join(e.parentPath, e.name);
      out.set(p.slice(dir.length + 1), await fsp.readFile(p));
    }
  }
  return out;
}

/** Nothing but `keep` in `dir`: no data dir, no temporary sibling, no scratch directory. */
async function onlyLeft(dir: string, keep: readonly string[]): Promise<void> {
  assert.deepEqual((await fsp.readdir(dir)).sort(), [...keep].sort());
}

test('restore of a tree equals encode --self-test then prepare-restore, and leaves no scratch', async () => {
  const dir = await tempDir('ekv-restore-cli-');
  const r1 = await runCli('elastickv-snapshot', ['restore', '--input', TREE, '--data-dir', join(dir, 'a'), ...TARGET]);
  assert.equal(r1.code, 0, r1.stderr);
  await onlyLeft(dir, ['a']);

  const fsm = join(dir, 'x.fsm');
  const e = await runCli('elastickv-snapshot', ['encode', '--input', TREE, '--output', fsm, '--self-test', '--quiet']);
  assert.equal(e.code, 0, e.stderr);
  const r2 = await runCli('elastickv-snapshot', ['prepare-restore', '--input', fsm, '--data-dir', join(dir, 'b'), '--index', '100', '--peers', 'n1=127.0.0.1:50051', '--target-cluster-id', 'sample']);
  assert.equal(r2.code, 0, r2.stderr);
  const r3 = await runCli('elastickv-snapshot', ['restore', '--input', fsm, '--data-dir', join(dir, 'c'), ...TARGET]);
  assert.equal(r3.code, 0, r3.stderr);

  const a = await files(join(dir, 'a'));
  assert.equal(a.size, 4);
  for (const other of ['b', 'c']) {
    const b = await files(join(dir, other));
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [rel, bytes] of a) assert.ok(bytes.equals(b.get(rel) as Buffer), `${other}/${rel}`);
  }
});

test('restore refusals: misplaced flags and bad targets exit 1, a cluster mismatch exits 2 before encoding; nothing is left', async () => {
  const dir = await tempDir('ekv-restore-cli-');
  const d = join(dir, 'n1');
  const cases: [string[], number, string][] = [
    [['--input', TREE, '--data-dir', d, ...TARGET, '--allow-unverified-self-test'], 1, 'FLAG_INVALID'],
    [['--input', TREE, '--data-dir', d, ...TARGET, '--encode-info', 'x'], 1, 'FLAG_INVALID'],
    [['--input', join(dir, 'absent'), '--data-dir', d, ...TARGET], 1, 'INPUT_MISSING'],
    [['--input', TREE, '--data-dir', d, ...TARGET, '--peers', 'n1'], 1, 'RESTORE_PEERS_INVALID'],
    [['--input', TREE, '--data-dir', d, ...TARGET, '--index', '0'], 1, 'FLAG_INVALID'],
    [['--input', TREE, '--data-dir', d, ...TARGET, '--target-cluster-id', 'other'], 2, 'RESTORE_CLUSTER_ID_MISMATCH'],
    [['--input', TREE, '--data-dir', d, ...TARGET, '--adapter', 'nope'], 1, 'UNKNOWN_ADAPTER'],
  ];
  for (const [args, exit, code] of cases) {
    const r = await runCli('elastickv-snapshot', ['restore', ...args]);
    assert.equal(r.code, exit, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`\\[${code}\\]`));
    await onlyLeft(dir, []);
  }
  await fsp.writeFile(join(dir, 'x.fsm'), 'not a snapshot');
  const r = await runCli('elastickv-snapshot', ['restore', '--input', join(dir, 'x.fsm'), '--data-dir', d, ...TARGET, '--adapter', 'redis']);
  assert.equal(r.code, 1, r.stderr);
  await fsp.mkdir(d);
  const r2 = await runCli('elastickv-snapshot', ['restore', '--input', TREE, '--data-dir', d, ...TARGET]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /RESTORE_DESTINATION_EXISTS/);
  await onlyLeft(dir, ['n1', 'x.fsm']);
});

test('restore of a tree that fails to encode exits 2 and removes its scratch directory', async () => {
  const dir = await tempDir('ekv-restore-cli-');
  const tree = join(dir, 'tree');
  await fsp.cp(TREE, tree, { recursive: true });
  const hashes = join(tree, 'redis', 'db_0', 'hashes');
  const victim = (await fsp.readdir(hashes))[0] as string;
  await fsp.writeFile(join(hashes, victim), '{');
  const r = await runCli('elastickv-snapshot', ['restore', '--input', tree, '--data-dir', join(dir, 'n1'), ...TARGET]);
  assert.equal(r.code, 2, r.stderr);
  await onlyLeft(dir, ['tree']);
});
