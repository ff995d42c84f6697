// Every export target this build knows, in the order export's help lists them.

import { DYNAMODB_EXPORT } from './dynamodb/target.ts';
import { REDIS_EXPORT } from './redis/target.ts';
import { S3_EXPORT } from './s3/target.ts';
import { SQS_EXPORT } from './sqs/target.ts';
import type { ExportTarget } from './target.ts';

/** The export targets: one for each built-in adapter. */
export const EXPORT_TARGETS: readonly ExportTarget[] = [REDIS_EXPORT, DYNAMODB_EXPORT, S3_EXPORT, SQS_EXPORT];
