// Every adapter this build knows, in no particular order (pipelines impose their own).

import type { Adapter } from './adapter.ts';
import { dynamodbAdapter } from './dynamodb/index.ts';
import { redisAdapter } from './redis/index.ts';
import { s3Adapter } from './s3/index.ts';
import { sqsAdapter } from './sqs/index.ts';

/** The four built-in adapters (Redis, DynamoDB, S3, SQS): the default of every pipeline. */
export const ALL_ADAPTERS: readonly Adapter[] = [redisAdapter, dynamodbAdapter, s3Adapter, sqsAdapter];
