// export s3 against a real S3-compatible server (versitygw, started by .ci/run): after the export every object
// of the tree reads back with the same bytes, content type, encoding, cache control, disposition and user
// metadata, a large body went up in parts, a re-run converges; --dry-run writes nothing; a missing bucket and an
// unreachable endpoint exit 1; an object the server refuses exits 2 naming it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { readS3Buckets, type TreeObject } from '../../src/adapters/s3/encode.ts';
import { TreeReader } from '../../src/tree/reader.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { newBucket, s3Server, type S3Server } from '../helpers/s3-server.ts';

const BIN = join(import.meta.dirname, '../../bin/elastickv-snapshot.js');
const sample = new URL('../../examples/sample.fsm', import.meta.url).pathname;

let treeDir: string | undefined;
const BIG = randomBytes(20 * 1024 * 1024 + 123);

/** The sample's S3 records decoded, plus a 20 MiB object (multipart) with metadata in bucket photos. */
async function tree(): Promise<string> {
  if (treeDir !== undefined) return treeDir;
  const dir = join(await tempDir('ekv-export-s3-'), 'tree');
  const d = spawnSync(process.execPath, [BIN, 'decode', '--input', sample, '--output', dir, '--adapter', 's3', '--quiet'], { encoding: 'utf8' });
  assert.equal(d.status, 0, d.stderr);
  await fsp.writeFile(join(dir, 's3/photos/large.dat'), BIG);
  await fsp.writeFile(
    join(dir, 's3/photos/large.dat.elastickv-meta.json'),
    JSON.stringify({ format_version: 1, size_bytes: BIG.length, content_type: 'application/x-test', cache_control: 'max-age=60', content_disposition: 'attachment', user_metadata: { owner: 'ops', 'x-note': 'large one' } }),
  );
  treeDir = dir;
  return dir;
}

function run(s: S3Server, args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, 'export', 's3', ...args, '--s3-endpoint', s.endpoint, '--s3-sse', 'none', '--quiet'], { env: s.env(), encoding: 'utf8' });
}

async function objectsOf(dir: string, bucket: string): Promise<TreeObject[]> {
  for await (const b of readS3Buckets(new TreeReader(dir))) {
    if (b.bucket.name !== bucket) continue;
    const out: TreeObject[] = [];
    for await (const o of b.objects()) out.push(o);
    return out;
  }
  throw new Error(`no bucket ${bucket}`);
}

async function keysIn(client: S3Client, bucket: string): Promise<string[]> {
  const out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((c) => c.Key ?? '').sort();
}

test('export s3 --to s3://bucket/prefix: every object reads back equal, large ones in parts; a re-run converges', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const dir = await tree();
  const bucket = await newBucket(s, 'exp');
  const client = s.client();
  // versitygw's posix backend cannot hold both `dir` and `dir/x` (ObjectParentIsFile); S3 can.
  const objects = (await objectsOf(dir, 'photos')).filter((o) => o.key.toString() !== 'dir');
  assert.ok(objects.length >= 5);
  assert.ok(objects.some((o) => o.meta.userMetadata !== undefined && o.meta.userMetadata.size > 0));
  for (const round of [1, 2]) {
    const r = run(s, ['--input', dir, '--to', `s3://${bucket}/restored`, '--include', 's3:bucket=photos', '--exclude', 's3:bucket=photos,key=dir', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { records: number; bytes: number; failures: number; filtered: number };
    assert.equal(report.records, objects.length, `round ${round}`);
    assert.equal(report.bytes, objects.reduce((n, o) => n + Number(o.meta.sizeBytes), 0));
    assert.equal(report.failures, 0);
    assert.equal(report.filtered, 1);
    assert.match(r.stderr, new RegExp(`exported to s3 s3://${bucket}/restored: records=${objects.length} `));
  }
  assert.deepEqual(await keysIn(client, bucket), objects.map((o) => `restored/${o.key.toString('utf8')}`).sort());
  for (const o of objects) {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `restored/${o.key.toString('utf8')}` }));
    assert.ok(got.Body !== undefined);
    const body = Buffer.from(await got.Body.transformToByteArray());
    const parts: Buffer[] = [];
    for await (const c of o.chunks()) parts.push(c);
    const want = Buffer.concat(parts);
    assert.ok(body.equals(want), `body of ${o.path}`);
    const m = o.meta;
    if (m.contentType !== '') assert.equal(got.ContentType, m.contentType, o.path);
    assert.equal(got.ContentEncoding ?? '', m.contentEncoding, o.path);
    assert.equal(got.CacheControl ?? '', m.cacheControl, o.path);
    assert.equal(got.ContentDisposition ?? '', m.contentDisposition, o.path);
    assert.deepEqual(
      got.Metadata ?? {},
      Object.fromEntries([...(m.userMetadata ?? new Map<string, string>())].map(([k, v]) => [k.toLowerCase(), v])),
      o.path,
    );
    if (o.key.toString() === 'large.dat') assert.match(got.ETag ?? '', /-3"?$/, 'a 20 MiB body goes up as three 8 MiB parts');
  }
});

test('export s3: --dry-run writes nothing; several buckets for one target, a missing bucket and an unreachable endpoint exit 1', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const dir = await tree();
  const bucket = await newBucket(s, 'expdry');
  const objects = await objectsOf(dir, 'photos');
  const dry = run(s, ['--input', dir, '--to', `s3://${bucket}`, '--include', 's3:bucket=photos', '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stderr, new RegExp(`dry run: would export to s3 s3://${bucket}: records=${objects.length} `));
  assert.deepEqual(await keysIn(s.client(), bucket), []);
  const several = run(s, ['--input', dir, '--to', `s3://${bucket}`]);
  assert.equal(several.status, 1, several.stderr);
  assert.match(several.stderr, /holds 2 buckets \("logs", "photos"\)/);
  const missing = run(s, ['--input', dir, '--to', `s3://${bucket}-none`, '--include', 's3:bucket=photos']);
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(missing.stderr, /EXPORT_TARGET_MISSING/);
  const r = spawnSync(process.execPath, [BIN, 'export', 's3', '--input', dir, '--to', `s3://${bucket}`, '--include', 's3:bucket=photos', '--s3-endpoint', 'http://127.0.0.1:9', '--s3-sse', 'none', '--quiet'], { env: s.env(), encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /EXPORT_TARGET_UNREACHABLE/);
  assert.doesNotMatch(r.stderr + missing.stderr, new RegExp(s.secretAccessKey));
});

test('export s3: an object the server refuses exits 2 naming it', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const dir = await tree();
  const bucket = await newBucket(s, 'exprefuse');
  // S3 keys are at most 1024 bytes: a long prefix makes every key too long.
  const r = run(s, ['--input', dir, '--to', `s3://${bucket}/${'p'.repeat(1100)}`, '--include', 's3:bucket=photos']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /EXPORT_TARGET_REFUSED.*refused object "[^"]+" of bucket "photos"/);
  assert.match(r.stderr, /failures=1/);
});
