// The real S3-compatible server the object-store tests talk to (versitygw, started by .ci/run through
// scripts/ci-services/versitygw.sh, which exports EKV_TEST_S3_*). Outside CI, tests that need it are skipped with
// a message when the variables are unset; under CI (CI set) they fail instead, so they cannot be skipped silently.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3Server {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** The posix backend's directory is not exposed; buckets are made per test. */
  client(): S3Client;
  /** Environment for a child process using the standard credential chain. */
  env(): NodeJS.ProcessEnv;
}

/** The server, or undefined after skipping `t` (outside CI) when it is not configured. */
export function s3Server(t: TestContext): S3Server | undefined {
  const endpoint = process.env['EKV_TEST_S3_ENDPOINT'];
  const accessKeyId = process.env['EKV_TEST_S3_ACCESS_KEY'];
  const secretAccessKey = process.env['EKV_TEST_S3_SECRET_KEY'];
  if (endpoint === undefined || accessKeyId === undefined || secretAccessKey === undefined) {
    if (process.env['CI'] !== undefined) throw new Error('EKV_TEST_S3_* is not set under CI: .ci/run must start versitygw (scripts/ci-services/versitygw.sh)');
    t.skip('no S3 server: run scripts/ci-services/versitygw.sh start DIR and source DIR/env (as .ci/run does)');
    return undefined;
  }
  const region = process.env['EKV_TEST_S3_REGION'] ?? 'us-east-1';
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    region,
    client: () =>
      new S3Client({ region, endpoint, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } }),
    env: () => ({
      ...process.env,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
    }),
  };
}

/** A new, empty bucket with a unique name. */
export async function newBucket(s: S3Server, tag: string): Promise<string> {
  const name = `ekv-${tag}-${randomBytes(4).toString('hex')}`;
  await s.client().send(new CreateBucketCommand({ Bucket: name }));
  return name;
}
