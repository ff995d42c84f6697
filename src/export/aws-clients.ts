// The DynamoDB and SQS clients of `export --to`: an explicit endpoint (http(s)://host[:port]) or `aws` (the SDK's
// regional endpoint), the standard credential chain (environment, shared files with --profile, SSO, web identity,
// container and instance roles), the SDK's standard retries. Nothing here reads or prints a credential.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AdapterFlag } from '../adapters/adapter.ts';
import { UserError } from '../errors.ts';

/** The flags of the targets that talk to AWS services other than S3 (DynamoDB, SQS). */
export const AWS_FLAGS: Readonly<Record<string, AdapterFlag>> = {
  region: { type: 'string', value: 'REGION', help: '--to an AWS service: AWS region (default: the AWS chain\'s, else us-east-1)' },
  profile: { type: 'string', value: 'NAME', help: '--to an AWS service: AWS shared config profile' },
};

export interface AwsEndpoint {
  /** Undefined: the SDK's regional endpoint. */
  readonly url: string | undefined;
  /** As shown in reports and messages (no user information, query or fragment). */
  readonly shown: string;
}

/** `--to`: `aws`, or an http(s) URL without credentials in it (they come from the AWS chain). */
export function awsEndpoint(to: string): AwsEndpoint {
  if (to === 'aws') return { url: undefined, shown: 'aws' };
  let u: URL;
  try {
    u = new URL(to);
  } catch {
    throw new UserError('EXPORT_TARGET_URL_INVALID', '--to must be an http(s)://host[:port] endpoint or aws');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UserError('EXPORT_TARGET_URL_INVALID', `--to must be an http(s)://host[:port] endpoint or aws, not a ${u.protocol} URL`);
  if (u.username !== '' || u.password !== '') throw new UserError('EXPORT_TARGET_URL_INVALID', '--to must not carry credentials: they come from the standard AWS chain (environment, --profile, roles)');
  const shown = `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  return { url: shown, shown };
}

interface ClientConfig {
  readonly region: string;
  readonly endpoint?: string;
  readonly profile?: string;
  readonly maxAttempts: number;
}

function config(e: AwsEndpoint, region: string, profile: string): ClientConfig {
  // As for S3 (offload.ts): the SDK's Node 20 deprecation notice only adds noise to the command's output.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return {
    region: region.trim() !== '' ? region.trim() : (process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1'),
    maxAttempts: 3,
    ...(e.url !== undefined ? { endpoint: e.url } : {}),
    ...(profile.trim() !== '' ? { profile: profile.trim() } : {}),
  };
}

export const makeDynamoClient = (e: AwsEndpoint, region: string, profile: string): DynamoDBClient =>
  new DynamoDBClient(config(e, region, profile));
export const makeSqsClient = (e: AwsEndpoint, region: string, profile: string): SQSClient =>
  new SQSClient(config(e, region, profile));
