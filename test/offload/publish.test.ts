// offload publish: same objects and manifest as the reference tool, idempotent re-publish, and against a real
// S3-compatible server (versitygw): round trip of the objects, multipart, interrupted publish, credentials and
// bucket errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { decodeManifest } from '../../src/offload/manifest.ts';
import { publishSnapshot } from '../../src/offload/publish.ts';
import { S3Store } from '../../src/offload/s3-store.ts';
import { LocalStore, type ObjectStore } from '../../src/offload/store.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { newBucket, s3Server, type S3Server } from '../helpers/s3-server.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/offload');
const DATA_DIR = join(FIXTURES, 'data-dir');
const MANIFEST_KEY = 'v1/groups/0/snapshots/00000000000000000042-00000000000000000003.json';
const PAYLOAD_KEY = 'v1/payloads/sha256/42/426db632c92451e85d3e37e08d2c770c36efb8a94c6fb6aee66a3bc9e6d5cb11.fsm';
const BIN = join(import.meta.dirname, '../../bin/elastickv-snapshot-offload.js');

test('publish to a local store gives the reference-published objects byte for byte (manifest at the same created_at)', async () => {
  const refManifest = await fsp.readFile(join(FIXTURES, 'ref-store', MANIFEST_KEY));
  const ref = decodeManifest(refManifest, 'ref');
  const root = join(await tempDir('ekv-pub-local-'), 'store');
  const res = await publishSnapshot({ store: new LocalStore(root), dataDir: DATA_DIR, prefix: '', groupId: 0n, sourceCluster: 'ekv-fixture', binaryVersion: 'test', createdAt: ref.createdAt, spoolDir: join(root, '..', 'spool') });
  assert.ok(res.created);
  assert.deepEqual(res.manifestBytes, refManifest);
  assert.deepEqual(await fsp.readFile(join(root, MANIFEST_KEY)), refManifest);
  assert.deepEqual(await fsp.readFile(join(root, PAYLOAD_KEY)), await fsp.readFile(join(FIXTURES, 'ref-store', PAYLOAD_KEY)));
  assert.deepEqual(await fsp.readdir(join(root, '..', 'spool')), [], 'spool file left behind');
});

test('publishing again is idempotent; a different manifest at the same key is an integrity error (exit 2)', async () => {
  const dir = await tempDir('ekv-pub-again-');
  const args = ['publish', '--store', 'local', '--local-root', join(dir, 'store'), '--data-dir', DATA_DIR, '--source-cluster', 'ekv-fixture', '--spool-dir', join(dir, 'spool')];
  const first = await runCli('elastickv-snapshot-offload', args);
  assert.equal(first.code, 0, first.stderr);
  const again = await runCli('elastickv-snapshot-offload', args);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, first.stdout);
  assert.match(again.stderr, /already present/);
  const other = await runCli('elastickv-snapshot-offload', [...args.slice(0, -4), '--source-cluster', 'another-cluster', '--spool-dir', join(dir, 'spool')]);
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /OFFLOAD_INTEGRITY.*different content/);
});

test('the reference tool restores what we publish (needs ELASTICKV_REFERENCE_BIN)', async (t) => {
  const refBin = process.env['ELASTICKV_REFERENCE_BIN'];
  if (refBin === undefined) {
    t.skip('ELASTICKV_REFERENCE_BIN is not set; the reference binaries are not part of this repository');
    return;
  }
  const dir = await tempDir('ekv-pub-refrestore-');
  const r = await runCli('elastickv-snapshot-offload', ['publish', '--store', 'local', '--local-root', join(dir, 'store'), '--data-dir', DATA_DIR, '--source-cluster', 'x']);
  assert.equal(r.code, 0, r.stderr);
  const ref = spawnSync(join(refBin, 'elastickv-snapshot-offload'), ['restore', '--store', 'local', '--local-root', join(dir, 'store'), '--manifest-key', MANIFEST_KEY, '--data-dir', join(dir, 'node'), '--peers', 'n1=127.0.0.1:50051'], { encoding: 'utf8' });
  assert.equal(ref.status, 0, ref.stderr);
  assert.deepEqual(await fsp.readFile(join(dir, 'node/fsm-snap/000000000000002a.fsm')), await fsp.readFile(join(DATA_DIR, 'fsm-snap/000000000000002a.fsm')));
});

test('usage errors exit 1: no data dir, no source cluster for group 0, unknown store, s3 without bucket, bad SSE', async () => {
  for (const args of [
    ['publish', '--store', 'local', '--local-root', 'x'],
    ['publish', '--store', 'local', '--local-root', 'x', '--data-dir', DATA_DIR],
    ['publish', '--store', 'gcs', '--data-dir', DATA_DIR, '--source-cluster', 'c'],
    ['publish', '--store', 's3', '--data-dir', DATA_DIR, '--source-cluster', 'c'],
    ['publish', '--store', 's3', '--s3-bucket', 'b', '--s3-sse', 'aws:kms', '--data-dir', DATA_DIR, '--source-cluster', 'c'],
    ['publish', '--store', 's3', '--s3-bucket', 'b', '--s3-sse', 'aws:kms', '--s3-kms-key-id', 'alias/x', '--data-dir', DATA_DIR, '--source-cluster', 'c'],
    ['publish', 'stray'],
  ]) {
    const r = await runCli('elastickv-snapshot-offload', args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('a data directory without a persisted snapshot is exit 2', async () => {
  const dir = await tempDir('ekv-pub-empty-');
  await fsp.mkdir(join(dir, 'node'));
  const r = await runCli('elastickv-snapshot-offload', ['publish', '--local-root', join(dir, 'store'), '--data-dir', join(dir, 'node'), '--source-cluster', 'c']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /OFFLOAD_NO_SNAPSHOT/);
});

function s3Store(s: S3Server, bucket: string, extra: Partial<ConstructorParameters<typeof S3Store>[0]> = {}): S3Store {
  return new S3Store({ bucket, region: s.region, endpoint: s.endpoint, profile: '', forcePathStyle: true, disableChecksumHeaders: false, sse: 'none', kmsKeyId: '', credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey }, ...extra });
}

async function objectBytes(s: S3Server, bucket: string, key: string): Promise<Buffer> {
  const out = await s.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

test('S3: publish through the drop-in binary (standard credential chain) puts the reference layout, sha256 metadata and checksum', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const bucket = await newBucket(s, 'pub');
  const dir = await tempDir('ekv-pub-s3-');
  const r = spawnSync(process.execPath, [BIN, 'publish', '--store', 's3', '--s3-bucket', bucket, '--s3-endpoint', s.endpoint, '--s3-sse', 'none', '--data-dir', DATA_DIR, '--source-cluster', 'ekv-fixture', '--prefix', '/backups/', '--spool-dir', join(dir, 'spool')], { env: s.env(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = decodeManifest(Buffer.from(r.stdout), 'stdout');
  assert.equal(m.manifestKey, `backups/${MANIFEST_KEY}`);
  assert.equal(m.payload.key, `backups/${PAYLOAD_KEY}`);
  assert.deepEqual(await objectBytes(s, bucket, m.manifestKey), Buffer.from(r.stdout));
  const payload = await objectBytes(s, bucket, m.payload.key);
  assert.equal(createHash('sha256').update(payload).digest('hex'), m.payload.sha256);
  const head = await s.client().send(new HeadObjectCommand({ Bucket: bucket, Key: m.payload.key, ChecksumMode: 'ENABLED' }));
  assert.equal(head.Metadata?.['elastickv-sha256'], m.payload.sha256);
  const again = spawnSync(process.execPath, [BIN, 'publish', '--store', 's3', '--s3-bucket', bucket, '--s3-endpoint', s.endpoint, '--s3-sse', 'none', '--data-dir', DATA_DIR, '--source-cluster', 'ekv-fixture', '--prefix', 'backups', '--spool-dir', join(dir, 'spool')], { env: s.env(), encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout, r.stdout);
});

test('S3: multipart upload (tiny threshold) stores the exact bytes; a source that does not match its SHA-256 is aborted, leaving nothing', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const bucket = await newBucket(s, 'mpu');
  const store = s3Store(s, bucket, { multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 });
  const dir = await tempDir('ekv-mpu-');
  const file = join(dir, 'big');
  const data = Buffer.alloc(12 * 1024 * 1024 + 3);
  for (let i = 0; i < data.length; i += 4096) data[i] = i % 251;
  await fsp.writeFile(file, data);
  const sha = createHash('sha256').update(data).digest('hex');
  const info = await store.put('big.fsm', { path: file }, { size: data.length, sha256: sha, contentType: 'application/octet-stream' });
  assert.equal(info.size, data.length);
  assert.equal(info.sha256, sha);
  assert.ok((await objectBytes(s, bucket, 'big.fsm')).equals(data));
  await assert.rejects(store.put('bad.fsm', { path: file }, { size: data.length, sha256: '0'.repeat(64), contentType: 'application/octet-stream' }), /OFFLOAD_INTEGRITY|sha256/);
  assert.equal(await store.head('bad.fsm'), undefined);
});

test('S3: an interrupted publish (payload uploaded, then the process dies) leaves no manifest; the next publish completes', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const bucket = await newBucket(s, 'intr');
  const real = s3Store(s, bucket);
  // The real store, except that the process "dies" when the manifest is about to be written.
  const dying: ObjectStore = {
    describe: (k) => real.describe(k),
    head: (k) => real.head(k),
    get: (k) => real.get(k),
    put: (k, src, o) => (k.endsWith('.json') ? Promise.reject(new Error('killed')) : real.put(k, src, o)),
  };
  const dir = await tempDir('ekv-intr-');
  const opts = { dataDir: DATA_DIR, prefix: '', groupId: 0n, sourceCluster: 'c', binaryVersion: '', spoolDir: join(dir, 'spool') };
  await assert.rejects(publishSnapshot({ ...opts, store: dying }), /killed/);
  assert.equal(await real.head(MANIFEST_KEY), undefined, 'a manifest exists after the interrupted publish');
  assert.ok((await real.head(PAYLOAD_KEY)) !== undefined);
  const res = await publishSnapshot({ ...opts, store: real });
  assert.ok(res.created);
  assert.ok((await real.head(MANIFEST_KEY)) !== undefined);
});

test('S3: wrong credentials and a missing bucket are clear exit-1 errors', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const bucket = await newBucket(s, 'auth');
  const base = [BIN, 'publish', '--store', 's3', '--s3-endpoint', s.endpoint, '--s3-sse', 'none', '--data-dir', DATA_DIR, '--source-cluster', 'c'];
  const spool = ['--spool-dir', join(await tempDir('ekv-auth-'), 'spool')];
  const wrong = spawnSync(process.execPath, [...base, '--s3-bucket', bucket, ...spool], { env: { ...s.env(), AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, encoding: 'utf8' });
  assert.equal(wrong.status, 1, wrong.stderr);
  assert.match(wrong.stderr, /S3_ACCESS_DENIED.*access denied/);
  const missing = spawnSync(process.execPath, [...base, '--s3-bucket', 'ekv-no-such-bucket-here', ...spool], { env: s.env(), encoding: 'utf8' });
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(missing.stderr, /S3_NO_SUCH_BUCKET.*does not exist/);
});
