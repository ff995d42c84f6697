// --s3-elastickv: what the client sends to an elastickv S3 endpoint (its verifier re-signs every header it receives
// and reads `PUT /bucket/` as an object). The request is captured where it would go on the wire.
import assert from 'node:assert/strict';
import test from 'node:test';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { makeS3Client } from '../../src/offload/s3-store.ts';

interface Sent {
  path: string;
  headers: Record<string, string>;
}

function capturing(elastickv: boolean): { client: ReturnType<typeof makeS3Client>; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = makeS3Client({
    bucket: '',
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    profile: '',
    forcePathStyle: true,
    disableChecksumHeaders: true,
    elastickv,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });
  client.middlewareStack.add(
    () => (args) => {
      const req = args.request as Sent;
      sent.push({ path: req.path, headers: { ...req.headers } });
      return Promise.reject(new Error('captured'));
    },
    { step: 'finalizeRequest', priority: 'low', name: 'capture' },
  );
  return { client, sent };
}

const signedHeaders = (s: Sent): string[] => /SignedHeaders=([^,]+)/.exec(s.headers['authorization'] ?? '')?.[1]?.split(';') ?? [];

test('--s3-elastickv: Connection is sent and signed, bucket paths lose the trailing slash, an empty body sends no Content-Length', async () => {
  const on = capturing(true);
  await assert.rejects(on.client.send(new CreateBucketCommand({ Bucket: 'bkt' })), /captured/);
  await assert.rejects(on.client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'empty', Body: Buffer.alloc(0) })), /captured/);
  const [create, put] = on.sent;
  assert.ok(create !== undefined && put !== undefined);
  assert.equal(create.path, '/bkt');
  assert.equal(create.headers['connection'], 'keep-alive');
  assert.ok(signedHeaders(create).includes('connection'), create.headers['authorization']);
  assert.equal(put.path, '/bkt/empty');
  assert.equal(put.headers['content-length'], undefined);
  assert.ok(signedHeaders(put).includes('connection'));

  const off = capturing(false);
  await assert.rejects(off.client.send(new CreateBucketCommand({ Bucket: 'bkt' })), /captured/);
  const plain = off.sent[0];
  assert.ok(plain !== undefined);
  assert.equal(plain.path, '/bkt/');
  assert.ok(!signedHeaders(plain).includes('connection'));
});
