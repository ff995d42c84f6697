// offload restore: what the reference published restores to the data directory the reference restores (byte for
// byte), publish -> restore round trips through a real S3-compatible server, and corrupted objects, tampered
// manifests, credentials and buckets are refused with the right exit class.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { newBucket, s3Server } from '../helpers/s3-server.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/offload');
const DATA_DIR = join(FIXTURES, 'data-dir');
const MANIFEST_KEY = 'v1/groups/0/snapshots/00000000000000000042-00000000000000000003.json';
const PAYLOAD_KEY = 'v1/payloads/sha256/42/426db632c92451e85d3e37e08d2c770c36efb8a94c6fb6aee66a3bc9e6d5cb11.fsm';
const PEERS = 'n1=127.0.0.1:50051';
const BIN = join(import.meta.dirname, '../../bin/elastickv-snapshot-offload.js');
const FSM = 'fsm-snap/000000000000002a.fsm';
const SNAP = 'snap/0000000000000003-000000000000002a.snap';
const WAL = 'wal/0000000000000000-0000000000000000.wal';

/** The restored directory equals the reference's (the fixture data dir was prepared with the same peers). */
async function assertSameAsReference(dir: string): Promise<void> {
  for (const f of [FSM, SNAP, 'etcd-raft-peers.bin']) assert.deepEqual(await fsp.readFile(join(dir, f)), await fsp.readFile(join(DATA_DIR, f)), f);
  const wal = await fsp.readFile(join(dir, WAL));
  const records = await fsp.readFile(join(DATA_DIR, WAL));
  assert.equal(wal.length, 64_000_000);
  assert.deepEqual(wal.subarray(0, records.length), records);
  assert.ok(wal.subarray(records.length).every((b) => b === 0));
}

test('restore of a reference-published store gives the data directory the reference prepares', async () => {
  const dir = await tempDir('ekv-restore-ref-');
  const r = await runCli('elastickv-snapshot-offload', ['restore', '--store', 'local', '--local-root', join(FIXTURES, 'ref-store'), '--manifest-key', MANIFEST_KEY, '--data-dir', join(dir, 'node'), '--peers', PEERS]);
  assert.equal(r.code, 0, r.stderr);
  await assertSameAsReference(join(dir, 'node'));
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['node'], 'download directory left behind');
  const again = await runCli('elastickv-snapshot-offload', ['restore', '--local-root', join(FIXTURES, 'ref-store'), '--manifest-key', MANIFEST_KEY, '--data-dir', join(dir, 'node'), '--peers', PEERS]);
  assert.equal(again.code, 1, again.stderr);
  assert.match(again.stderr, /RESTORE_DESTINATION_EXISTS/);
});

test('a tampered manifest, a manifest under another key and a corrupted payload are refused with exit 2, leaving nothing', async () => {
  const dir = await tempDir('ekv-restore-bad-');
  const store = join(dir, 'store');
  await fsp.cp(join(FIXTURES, 'ref-store'), store, { recursive: true });
  const manifestPath = join(store, MANIFEST_KEY);
  const original = await fsp.readFile(manifestPath, 'utf8');
  const restore = (key = MANIFEST_KEY) => runCli('elastickv-snapshot-offload', ['restore', '--local-root', store, '--manifest-key', key, '--data-dir', join(dir, 'node'), '--peers', PEERS]);
  await fsp.writeFile(manifestPath, original.replace('"snapshot_term": 3', '"snapshot_term": 4'));
  let r = await restore();
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /OFFLOAD_INTEGRITY.*manifest sha256/);
  await fsp.writeFile(manifestPath, original);
  await fsp.mkdir(join(store, 'elsewhere'));
  await fsp.copyFile(manifestPath, join(store, 'elsewhere/m.json'));
  r = await restore('elsewhere/m.json');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /manifest key mismatch/);
  const payloadPath = join(store, PAYLOAD_KEY);
  const payload = await fsp.readFile(payloadPath);
  payload[100] = (payload[100] as number) ^ 0xff;
  await fsp.writeFile(payloadPath, payload);
  r = await restore();
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /OFFLOAD_INTEGRITY.*payload sha256/);
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['store']);
  r = await restore('v1/groups/0/snapshots/missing.json');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /OFFLOAD_OBJECT_NOT_FOUND/);
});

test('restore usage errors exit 1: missing manifest key, data dir, peers; bad peers', async () => {
  for (const args of [
    ['restore', '--local-root', 'x', '--data-dir', 'd', '--peers', PEERS],
    ['restore', '--local-root', 'x', '--manifest-key', 'k', '--peers', PEERS],
    ['restore', '--local-root', 'x', '--manifest-key', 'k', '--data-dir', 'd'],
    ['restore', '--local-root', FIXTURES, '--manifest-key', 'k', '--data-dir', 'd', '--peers', 'n1=a,n1=a'],
  ]) {
    const r = await runCli('elastickv-snapshot-offload', args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('S3: publish -> restore round trip gives back the source data directory\'s snapshot; a corrupted object is refused with exit 2', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const bucket = await newBucket(s, 'rt');
  const dir = await tempDir('ekv-restore-s3-');
  const s3 = ['--store', 's3', '--s3-bucket', bucket, '--s3-endpoint', s.endpoint, '--s3-sse', 'none'];
  const pub = spawnSync(process.execPath, [BIN, 'publish', ...s3, '--data-dir', DATA_DIR, '--source-cluster', 'ekv-fixture', '--spool-dir', join(dir, 'spool')], { env: s.env(), encoding: 'utf8' });
  assert.equal(pub.status, 0, pub.stderr);
  const res = spawnSync(process.execPath, [BIN, 'restore', ...s3, '--manifest-key', MANIFEST_KEY, '--data-dir', join(dir, 'node'), '--peers', PEERS], { env: s.env(), encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  await assertSameAsReference(join(dir, 'node'));
  // Corrupt the payload object in place: same size, same metadata, different bytes.
  const bytes = await fsp.readFile(join(DATA_DIR, FSM));
  const corrupt = Buffer.from(bytes.subarray(0, bytes.length - 4));
  corrupt[500] = (corrupt[500] as number) ^ 0x01;
  await s.client().send(new PutObjectCommand({ Bucket: bucket, Key: PAYLOAD_KEY, Body: corrupt, Metadata: { 'elastickv-sha256': '426db632c92451e85d3e37e08d2c770c36efb8a94c6fb6aee66a3bc9e6d5cb11' } }));
  const bad = spawnSync(process.execPath, [BIN, 'restore', ...s3, '--manifest-key', MANIFEST_KEY, '--data-dir', join(dir, 'node2'), '--peers', PEERS], { env: s.env(), encoding: 'utf8' });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /OFFLOAD_INTEGRITY/);
  await assert.rejects(fsp.stat(join(dir, 'node2')));
});

test('S3: restore with wrong credentials or from a missing bucket exits 1 with a clear reason', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const bucket = await newBucket(s, 'rauth');
  const dir = await tempDir('ekv-restore-auth-');
  const args = (b: string) => [BIN, 'restore', '--store', 's3', '--s3-bucket', b, '--s3-endpoint', s.endpoint, '--s3-sse', 'none', '--manifest-key', MANIFEST_KEY, '--data-dir', join(dir, 'node'), '--peers', PEERS];
  const wrong = spawnSync(process.execPath, args(bucket), { env: { ...s.env(), AWS_ACCESS_KEY_ID: 'nobody' }, encoding: 'utf8' });
  assert.equal(wrong.status, 1, wrong.stderr);
  assert.match(wrong.stderr, /S3_ACCESS_DENIED/);
  const missing = spawnSync(process.execPath, args('ekv-no-such-bucket-here'), { env: s.env(), encoding: 'utf8' });
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(missing.stderr, /S3_NO_SUCH_BUCKET/);
});
