// The DynamoDB adapter: key layouts (keys.ts), numbers in keys (numbers.ts), protobuf values (proto.ts), dump
// files (json.ts, paths.ts), decode.ts and encode.ts.

import type { Adapter } from '../adapter.ts';
import { predictDynamoTree } from './predict.ts';
import { DYNAMODB_FILTER } from './filter.ts';
import { DynamoDecoder } from './decode.ts';
import { encodeDynamo } from './encode.ts';
import { DDB_ROUTES, type DynamoKind } from './routes.ts';
import { DYNAMODB_OPTIONS } from './options.ts';

/** The DynamoDB adapter: table schemas and items (per item or JSONL bundles), GSI rows on encode. */
export const dynamodbAdapter: Adapter<'dynamodb', DynamoKind> = {
  name: 'dynamodb',
  routes: DDB_ROUTES,
  // Routing keys of a live node (kv/shard_key.go) hold no user data.
  internalPrefixes: [{ prefix: '!ddb|route|table|', kind: 'ddb-route' }],
  filter: DYNAMODB_FILTER,
  options: DYNAMODB_OPTIONS,
  createDecoder: (ctx) => new DynamoDecoder(ctx),
  predictTree: predictDynamoTree,
  // Both layouts encode to the same rows; the reference refuses the JSONL layout, this encoder reads it.
  checkEncodable: () => undefined,
  encode: encodeDynamo,
};
