// --json on prepare-restore, restore, archive and offload: the summary as one JSON document on stdout (the writer
// decode and encode use), nothing else there.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

const SAMPLE = join(import.meta.dirname, '../../examples/sample.fsm');
const OFFLOAD_DATA_DIR = join(import.meta.dirname, '../fixtures/offload/data-dir');
const cli = (args: string[]) => runCli('elastickv-snapshot', args);

async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await cli([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

test('--json summaries: archive pack/unpack, prepare-restore, restore, offload publish/restore', async () => {
  const dir = await tempDir('ekv-json-');
  const tree = join(dir, 'tree');
  assert.equal((await cli(['decode', '--input', SAMPLE, '--output', tree, '--quiet'])).code, 0);

  const pack = await json(['archive', 'pack', '--input', tree, '--output', join(dir, 't.tar.zst')]);
  assert.equal(pack['command'], 'archive pack');
  assert.equal(pack['compression'], 'zstd');
  assert.ok((pack['files'] as number) > 0);
  const unpack = await json(['archive', 'unpack', '--input', join(dir, 't.tar.zst'), '--output', join(dir, 'u')]);
  assert.equal(unpack['command'], 'archive unpack');
  assert.equal(unpack['files'], pack['files']);
  assert.equal(unpack['verified'], (pack['files'] as number) - 1);
  assert.match((await cli(['archive', 'pack', '--input', tree, '--output', '-', '--json'])).stderr, /FLAG_INVALID/);

  const fsm = join(dir, 'x.fsm');
  assert.equal((await cli(['encode', '--input', tree, '--output', fsm, '--self-test', '--quiet'])).code, 0);
  const target = ['--index', '7', '--peers', 'n1=127.0.0.1:50051', '--allow-missing-cluster-id'];
  const prepared = await json(['prepare-restore', '--input', fsm, '--data-dir', join(dir, 'n1'), ...target]);
  assert.equal(prepared['command'], 'prepare-restore');
  assert.equal(prepared['data_dir'], join(dir, 'n1'));
  assert.match(prepared['payload_sha256'] as string, /^[0-9a-f]{64}$/);
  assert.equal(prepared['peers'], 1);
  const restored = await json(['restore', '--input', tree, '--data-dir', join(dir, 'n2'), '--quiet', ...target]);
  assert.equal(restored['command'], 'restore');
  assert.equal(restored['self_test'], 'matched');
  assert.equal(restored['payload_sha256'], prepared['payload_sha256']);

  const store = ['--store', 'local', '--local-root', join(dir, 'store')];
  const published = await json(['offload', 'publish', ...store, '--data-dir', OFFLOAD_DATA_DIR, '--source-cluster', 'ekv-fixture', '--spool-dir', join(dir, 'spool')]);
  assert.equal(published['command'], 'offload publish');
  assert.equal(published['created'], true);
  const manifestKey = published['manifest_key'] as string;
  assert.equal((JSON.parse(published['manifest'] as string) as { manifest_key: string }).manifest_key, manifestKey);
  const offRestored = await json(['offload', 'restore', ...store, '--manifest-key', manifestKey, '--data-dir', join(dir, 'n3'), '--peers', 'n1=127.0.0.1:50051']);
  assert.equal(offRestored['command'], 'offload restore');
  assert.equal(offRestored['data_dir'], join(dir, 'n3'));
});
