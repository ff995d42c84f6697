// `s3://bucket/key` as the --input of decode and inspect, against the real S3-compatible server (versitygw): the
// snapshot is streamed from the object and gives what the same file on disk gives.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { tempDir } from '../helpers/adapter-harness.ts';
import { newBucket, s3Server } from '../helpers/s3-server.ts';

const BIN = join(import.meta.dirname, '../../bin/elastickv-snapshot.js');
const SAMPLE = join(import.meta.dirname, '../../examples/sample.fsm');

test('S3 input: decode and inspect stream s3://bucket/key (plain and gzip) and match the local file; a missing key or bucket is exit 1', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const bucket = await newBucket(s, 'in');
  const bytes = await fsp.readFile(SAMPLE);
  await s.client().send(new PutObjectCommand({ Bucket: bucket, Key: 'snaps/sample.fsm', Body: bytes }));
  await s.client().send(new PutObjectCommand({ Bucket: bucket, Key: 'snaps/sample.fsm.gz', Body: gzipSync(bytes) }));
  const dir = await tempDir('ekv-s3-in-');
  const s3 = ['--s3-endpoint', s.endpoint];
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--quiet', ...s3], { env: s.env(), encoding: 'utf8' });

  const local = run(['decode', '--input', SAMPLE, '--output', join(dir, 'local'), '--adapter', 'all']);
  assert.equal(local.status, 0, local.stderr);
  for (const key of ['snaps/sample.fsm', 'snaps/sample.fsm.gz']) {
    const url = `s3://${bucket}/${key}`;
    const out = join(dir, key.replace(/\W/g, '_'));
    const d = run(['decode', '--input', url, '--output', out, '--adapter', 'all']);
    assert.equal(d.status, 0, d.stderr);
    // Only MANIFEST.json's source path (and so its CHECKSUMS line) names where the snapshot came from.
    execFileSync('diff', ['-r', '-x', 'MANIFEST.json', '-x', 'CHECKSUMS', join(dir, 'local'), out]);
    const m = JSON.parse(await fsp.readFile(join(out, 'MANIFEST.json'), 'utf8')) as { source: { fsm_path: string } };
    assert.equal(m.source.fsm_path, url);

    const fromS3 = run(['inspect', '--input', url, '-w', 'json']);
    assert.equal(fromS3.status, 0, fromS3.stderr);
    const fromFile = run(['inspect', '--input', SAMPLE, '-w', 'json']);
    const a = JSON.parse(fromS3.stdout) as Record<string, unknown>;
    const b = JSON.parse(fromFile.stdout) as Record<string, unknown>;
    assert.equal(a['input'], url);
    assert.equal(a['file_bytes'], key.endsWith('.gz') ? gzipSync(bytes).length : bytes.length);
    const source = new Set(['input', 'file_bytes', 'compression']);
    const rest = (doc: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(doc).filter(([k]) => !source.has(k)));
    assert.deepEqual(rest(a), rest(b));
  }

  const missing = run(['inspect', '--input', `s3://${bucket}/snaps/none.fsm`]);
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(missing.stderr, /INPUT_MISSING.*snapshot object does not exist/);
  const noBucket = run(['decode', '--input', `s3://${bucket}-gone/snaps/sample.fsm`, '--output', join(dir, 'none')]);
  assert.equal(noBucket.status, 1, noBucket.stderr);
  assert.match(noBucket.stderr, /S3_NO_SUCH_BUCKET/);
  await assert.rejects(fsp.lstat(join(dir, 'none')));
});
