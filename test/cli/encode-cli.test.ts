// Mirrors the reference's encode CLI tests (spec core.md §8, cmd/elastickv-snapshot-encode/main_test.go) on a
// tree made by the echo test adapter; the adapter-specific round trips live with each adapter.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildFsm } from '../helpers/fsm.ts';
import { decodeWith, tempDir } from '../helpers/adapter-harness.ts';
import { echoAdapter } from '../helpers/echo-adapter.ts';
import { runCli } from '../helpers/cli.ts';

const adapters = [echoAdapter('redis', '!echo|'), echoAdapter('sqs', '!echo|sqs|'), echoAdapter('dynamodb', '!echo|ddb|'), echoAdapter('s3', '!echo|s3|')];
const TOOL = 'elastickv-snapshot-encode';
const rows = [
  { key: '!echo|a', value: 'A' },
  { key: '!echo|sqs|q', value: 'Q' },
];

async function fixture(ts = 100n): Promise<{ tree: string; dir: string; expected: Buffer }> {
  const expected = buildFsm(ts, rows);
  // The manifest lists all four adapters, as a default decode would.
  const { tree } = await decodeWith(adapters, expected, { selected: ['dynamodb', 's3', 'redis', 'sqs'] });
  return { tree, dir: await tempDir('ekv-cli-'), expected };
}

const encode = (args: string[]) => runCli(TOOL, args, adapters);

test('round trip with --self-test: exit 0, output and sidecar mode 0600, sidecar fields', async () => {
  const { tree, dir, expected } = await fixture();
  const out = join(dir, 'node1.fsm');
  const r = await encode(['--input', tree, '--output', out, '--self-test']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await fsp.readFile(out), expected);
  for (const p of [out, `${out}.encode_info.json`]) assert.equal((await fsp.stat(p)).mode & 0o077, 0, p);
  const info = JSON.parse(await fsp.readFile(`${out}.encode_info.json`, 'utf8')) as Record<string, unknown>;
  assert.equal(info.output_fsm_sha256, (await import('node:crypto')).createHash('sha256').update(expected).digest('hex'));
  assert.deepEqual(info.self_test, { ran: true, matched: true });
  assert.deepEqual(info.adapters_enabled, ['redis', 'dynamodb', 's3', 'sqs']);
  assert.equal(info.last_commit_ts, 100);
  assert.equal(info.last_commit_ts_overridden, false);
  assert.equal(info.input_root, tree);
});

test('missing manifest exits 1 and writes nothing; unknown adapter exits 1', async () => {
  const dir = await tempDir('ekv-cli-');
  const out = join(dir, 'o.fsm');
  assert.equal((await encode(['--input', dir, '--output', out])).code, 1);
  const { tree } = await fixture();
  const r = await encode(['--input', tree, '--output', out, '--adapter', 'redis,bogus']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown adapter "bogus"/);
  assert.equal((await encode(['--input', tree, '--output', out, '--adapter', ' ,,'])).code, 1);
  assert.deepEqual(await fsp.readdir(dir), []);
});

test('invalid manifest, adapter without scope, lower --last-commit-ts exit 2; prior output and sidecar preserved', async () => {
  const { tree, dir } = await fixture(100n);
  const out = join(dir, 'o.fsm');
  await fsp.writeFile(out, 'prior');
  await fsp.writeFile(`${out}.encode_info.json`, 'prior-sidecar');
  const lower = await encode(['--input', tree, '--output', out, '--last-commit-ts', '99']);
  assert.equal(lower.code, 2);
  assert.match(lower.stderr, /--last-commit-ts 99 < manifest 100/);
  const manifestPath = join(tree, 'MANIFEST.json');
  const good = await fsp.readFile(manifestPath, 'utf8');
  const m = JSON.parse(good) as { adapters: Record<string, unknown> };
  m.adapters.sqs = null;
  await fsp.writeFile(manifestPath, JSON.stringify(m));
  assert.equal((await encode(['--input', tree, '--output', out])).code, 2);
  assert.equal((await encode(['--input', tree, '--output', out, '--adapter', 'redis'])).code, 0);
  await fsp.writeFile(out, 'prior');
  await fsp.writeFile(`${out}.encode_info.json`, 'prior-sidecar');
  await fsp.writeFile(manifestPath, '{"format_version":1,');
  assert.equal((await encode(['--input', tree, '--output', out])).code, 2);
  assert.equal(await fsp.readFile(out, 'utf8'), 'prior');
  assert.equal(await fsp.readFile(`${out}.encode_info.json`, 'utf8'), 'prior-sidecar');
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['o.fsm', 'o.fsm.encode_info.json']);
});

test('equal and higher --last-commit-ts are accepted, stamped in the header and flagged as overridden', async () => {
  const { tree, dir } = await fixture(100n);
  for (const t of ['100', '0x1ff']) {
    const out = join(dir, `t${t}.fsm`);
    assert.equal((await encode(['--input', tree, '--output', out, `--last-commit-ts=${t}`])).code, 0);
    const fsm = await fsp.readFile(out);
    assert.equal(fsm.readBigUInt64LE(8), BigInt(t));
    assert.equal((JSON.parse(await fsp.readFile(`${out}.encode_info.json`, 'utf8')) as { last_commit_ts_overridden: boolean }).last_commit_ts_overridden, true);
  }
  assert.equal((await encode(['--input', tree, '--output', join(dir, 'x.fsm'), '--last-commit-ts', '0xZZ'])).code, 1);
});

test('two outputs in one folder get two sidecars', async () => {
  const { tree, dir } = await fixture();
  assert.equal((await encode(['-input', tree, '-output', join(dir, 'a.fsm')])).code, 0);
  assert.equal((await encode(['-input', tree, '-output', join(dir, 'b.fsm')])).code, 0);
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['a.fsm', 'a.fsm.encode_info.json', 'b.fsm', 'b.fsm.encode_info.json']);
});

test('self-test mismatch: exit 2, mismatch.txt, stale output removed, sidecar matched:false', async () => {
  const { tree, dir } = await fixture();
  const out = join(dir, 'o.fsm');
  await fsp.writeFile(out, 'stale output of an earlier run');
  const corrupt = async (tmp: string): Promise<void> => {
    const b = await fsp.readFile(tmp);
    b[b.length - 1] = b[b.length - 1]! ^ 1;
    await fsp.writeFile(tmp, b);
  };
  const { dropInEncodeCommand } = await import('../../src/cli/commands/encode.ts');
  let stderr = '';
  const io = {
    stdout: process.stdout,
    stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream,
    env: {},
  };
  let code: number;
  try {
    code = await dropInEncodeCommand(['--input', tree, '--output', out, '--self-test'], io, TOOL, adapters, { afterWrite: corrupt });
  } catch (err) {
    code = (await import('../../src/errors.ts')).exitCodeFor(err);
  }
  assert.equal(code, 2, stderr);
  assert.match(await fsp.readFile(`${out}.mismatch.txt`, 'utf8'), /^redis\/echo\/a \(bytes differ\)\n|sqs\/echo\/q \(bytes differ\)\n/);
  await assert.rejects(fsp.lstat(out));
  assert.deepEqual((JSON.parse(await fsp.readFile(`${out}.encode_info.json`, 'utf8')) as { self_test: unknown }).self_test, { ran: true, matched: false });
  // A clean run afterwards removes the stale mismatch file.
  assert.equal((await encode(['--input', tree, '--output', out, '--self-test'])).code, 0);
  await assert.rejects(fsp.stat(`${out}.mismatch.txt`));
});

test('a directory at the output path survives a mismatch cleanup', async () => {
  const { tree, dir } = await fixture();
  const out = join(dir, 'o.fsm');
  await fsp.mkdir(out);
  const { dropInEncodeCommand } = await import('../../src/cli/commands/encode.ts');
  const io = { stdout: process.stdout, stderr: { write: () => true } as unknown as NodeJS.WritableStream, env: {} };
  await assert.rejects(
    dropInEncodeCommand(['--input', tree, '--output', out, '--self-test'], io, TOOL, adapters, {
      afterWrite: async (tmp) => fsp.truncate(tmp, 16),
    }),
  );
  assert.ok((await fsp.stat(out)).isDirectory());
});

test('sidecar refuses a symlink (target intact) and a hard link (not removed); the output is withdrawn', async () => {
  const { tree, dir } = await fixture();
  const out = join(dir, 'o.fsm');
  const target = join(dir, 'victim');
  await fsp.writeFile(target, 'victim');
  await fsp.symlink(target, `${out}.encode_info.json`);
  const r = await encode(['--input', tree, '--output', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refusing to overwrite symlink/);
  assert.equal(await fsp.readFile(target, 'utf8'), 'victim');
  await assert.rejects(fsp.stat(out));
  await fsp.rm(`${out}.encode_info.json`);
  await fsp.link(target, `${out}.encode_info.json`);
  const r2 = await encode(['--input', tree, '--output', out]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /hard-linked/);
  assert.equal(await fsp.readFile(`${out}.encode_info.json`, 'utf8'), 'victim');
  await assert.rejects(fsp.stat(out));
});

test('--help prints usage and exits 0; an unknown flag exits 1', async () => {
  const h = await encode(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--last-commit-ts/);
  const bad = await encode(['--nope']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /flag provided but not defined: --nope\n/);
});
