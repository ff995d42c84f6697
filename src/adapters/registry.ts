// Every adapter this build knows, in no particular order (pipelines impose their own). Adapters not built yet
// are present as refusing placeholders (unbuilt.ts) so their prefixes route and count as in the reference.

import type { Adapter } from './adapter.ts';
import { dynamodbAdapter } from './dynamodb/index.ts';
import { redisAdapter } from './redis/index.ts';
import { sqsAdapter } from './sqs/index.ts';
import { UNBUILT_ADAPTERS } from './unbuilt.ts';

export const ALL_ADAPTERS: readonly Adapter[] = [redisAdapter, dynamodbAdapter, sqsAdapter, ...UNBUILT_ADAPTERS];
