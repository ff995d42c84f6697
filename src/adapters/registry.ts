// Every adapter this build knows: the one place that names them. Their names, and the orders the pipelines run
// them in, derive from this list.

import { dynamodbAdapter } from './dynamodb/index.ts';
import { redisAdapter } from './redis/index.ts';
import { s3Adapter } from './s3/index.ts';
import { sqsAdapter } from './sqs/index.ts';

/**
 * The four built-in adapters (Redis, DynamoDB, S3, SQS): the default of every pipeline, in the encoder's run order
 * and the order of `adapters_enabled` (elastickv: encode_snapshot.go).
 */
export const ALL_ADAPTERS = [redisAdapter, dynamodbAdapter, s3Adapter, sqsAdapter] as const;

/** The name of a built-in adapter; also its top-level directory in the dump tree. */
export type AdapterName = (typeof ALL_ADAPTERS)[number]['name'];

/** All adapters in the encoder's run order and the order of `adapters_enabled` (encode_snapshot.go). */
export const ENCODE_ORDER: readonly AdapterName[] = ALL_ADAPTERS.map((a) => a.name);

/** All adapters in the decoder's construction and finalize order (elastickv: internal/backup/decode.go). */
export const DECODE_ORDER: readonly AdapterName[] = [
  dynamodbAdapter.name,
  s3Adapter.name,
  redisAdapter.name,
  sqsAdapter.name,
];
