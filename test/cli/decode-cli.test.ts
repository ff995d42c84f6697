// Mirrors the reference's decode CLI tests (cmd/elastickv-snapshot-decode/main_test.go) with the echo adapter,
// plus our exit-code convention and the inspect/verify commands.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildFsm } from '../helpers/fsm.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { echoAdapter } from '../helpers/echo-adapter.ts';
import { runCli } from '../helpers/cli.ts';

const adapters = [echoAdapter('redis', '!echo|'), echoAdapter('sqs', '!echo|sqs|')];
const decode = (args: string[]) => runCli('elastickv-snapshot-decode', args, adapters);
const main = (args: string[]) => runCli('elastickv-snapshot', args, adapters);

async function input(name = '0000000000000064.fsm', rows = [{ key: '!echo|a', value: 'A' }]): Promise<{ dir: string; file: string }> {
  const dir = await tempDir('ekv-dcli-');
  const file = join(dir, name);
  await fsp.writeFile(file, buildFsm(1n, rows));
  return { dir, file };
}

test('decodes end to end: files, MANIFEST (decimal index from the name, cluster id), verifiable CHECKSUMS', async () => {
  const { dir, file } = await input();
  const out = join(dir, 'out');
  const r = await decode(['-input', file, '-output', out, '-cluster-id', 'ek-test']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /entries=1 .*redis=1/);
  assert.equal(await fsp.readFile(join(out, 'redis/echo/a'), 'utf8'), 'A');
  const m = JSON.parse(await fsp.readFile(join(out, 'MANIFEST.json'), 'utf8')) as { snapshot_index: number; cluster_id: string; source: { fsm_path: string } };
  assert.equal(m.snapshot_index, 64);
  assert.equal(m.cluster_id, 'ek-test');
  assert.equal(m.source.fsm_path, file);
  execFileSync('sha256sum', ['-c', '--quiet', 'CHECKSUMS'], { cwd: out });
  const v = await main(['verify', '--input', out]);
  assert.equal(v.code, 0, v.stderr);
  await fsp.writeFile(join(out, 'redis/echo/a'), 'tampered');
  const bad = await main(['verify', '--input', out]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /CHECKSUM_MISMATCH/);
});

test('unparseable file name leaves snapshot_index out', async () => {
  const { dir, file } = await input('from-prod.fsm');
  assert.equal((await decode(['--input', file, '--output', join(dir, 'o')])).code, 0);
  const m = JSON.parse(await fsp.readFile(join(dir, 'o/MANIFEST.json'), 'utf8')) as object;
  assert.equal('snapshot_index' in m, false);
});

test('usage errors exit 1: missing input/output, unknown adapter, zero adapters, bad bundle mode', async () => {
  const { dir, file } = await input();
  assert.match((await decode(['--output', join(dir, 'o')])).stderr, /--input is required/);
  assert.match((await decode(['--input', file])).stderr, /--output is required/);
  const unknown = await decode(['--input', file, '--output', join(dir, 'o'), '--adapter', 'redis,bogus']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /bogus: unknown adapter name; valid names: dynamodb, s3, redis, sqs \(or all\)/);
  assert.match((await decode(['--input', file, '--output', join(dir, 'o'), '--adapter', ' ,,'])).stderr, /selected zero adapters/);
  // Adapter flags come from the adapters: the built-in DynamoDB adapter's, checked against its choices.
  const badMode = await runCli('elastickv-snapshot-decode', ['--input', file, '--output', join(dir, 'o'), '--dynamodb-bundle-mode', 'csv']);
  assert.match(badMode.stderr, /invalid value "csv" for --dynamodb-bundle-mode; valid values: per-item, jsonl/);
  // The test adapters own no flags, so decode with them has none of the built-in adapters' flags.
  assert.match((await decode(['--input', file, '--output', join(dir, 'o'), '--include-orphans'])).stderr, /flag provided but not defined: --include-orphans/);
  assert.equal((await decode(['--input', join(dir, 'missing.fsm'), '--output', join(dir, 'o')])).code, 1);
  await assert.rejects(fsp.stat(join(dir, 'o')));
});

test('a corrupt snapshot exits 2 and leaves no output', async () => {
  const { dir, file } = await input();
  const b = await fsp.readFile(file);
  await fsp.writeFile(file, b.subarray(0, b.length - 2));
  const r = await decode(['--input', file, '--output', join(dir, 'o')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\[SNAPSHOT_TRUNCATED\].*offset 16/);
  await assert.rejects(fsp.stat(join(dir, 'o')));
});

test('inspect reports counts per adapter and kind, as a table and as JSON', async () => {
  const { file } = await input('s.fsm', [
    { key: '!echo|a', value: 'A' },
    { key: '!echo|sqs|q', value: 'QQ' },
    { key: '!txn|x', value: '' },
    { key: 'zzz', value: '' },
  ]);
  const t = await main(['inspect', '--input', file]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /redis echo\s+1\s+7\s+1\n/);
  const j = await main(['inspect', '--json', '--input', file]);
  const doc = JSON.parse(j.stdout) as {
    entries: number;
    unknown: number;
    kinds: Array<{ kind: string; entries: number }>;
  };
  assert.equal(doc.entries, 4);
  assert.equal(doc.unknown, 1);
  assert.deepEqual(
    doc.kinds.map((k) => [k.kind, k.entries]),
    [
      ['internal transaction', 1],
      ['redis echo', 1],
      ['sqs echo', 1],
    ],
  );
});

test('help: top level, per command, and an unknown command', async () => {
  const top = await main(['help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /decode .*encode .*inspect .*verify/s);
  assert.match((await runCli('elastickv-snapshot', ['help', 'decode'])).stdout, /--rename-collisions/);
  assert.match((await main(['decode', '--help'])).stdout, /--versions POLICY/);
  assert.equal((await main(['frobnicate'])).code, 1);
});
