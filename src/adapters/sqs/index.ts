// The SQS adapter: key layouts in keys.ts, values and dump lines in records.ts, decode.ts and encode.ts.

import { DataError } from '../../errors.ts';
import type { Adapter } from '../adapter.ts';
import { predictSqsTree } from './predict.ts';
import { SQS_FILTER } from './filter.ts';
import { SqsDecoder } from './decode.ts';
import { encodeSqs } from './encode.ts';
import { SQS_ROUTES, type SqsKind } from './routes.ts';
import { SQS_OPTIONS } from './options.ts';

/** The SQS adapter: queues and the messages of their live generation. */
export const sqsAdapter: Adapter<'sqs', SqsKind> = {
  name: 'sqs',
  routes: SQS_ROUTES,
  // Routing keys of a live node hold no user data.
  internalPrefixes: [{ prefix: '!sqs|route|', kind: 'sqs-route' }],
  filter: SQS_FILTER,
  options: SQS_OPTIONS,
  createDecoder: (ctx) => new SqsDecoder(ctx),
  predictTree: predictSqsTree,
  checkEncodable(switches) {
    // A dump with live visibility state or with the derived rows cannot be restored faithfully from the
    // tree: in-flight receipts and group locks are not part of it (the reference refuses these modes too).
    if (switches.preserveSqsVisibility) {
      throw new DataError('SQS_UNENCODABLE_MODE', 'preserve_sqs_visibility not supported by encoder: the dump keeps in-flight receipts but not the FIFO group locks and visibility index that go with them; re-decode without --preserve-sqs-visibility, or encode with --adapter excluding sqs');
    }
    if (switches.includeSqsSideRecords) {
      throw new DataError('SQS_UNENCODABLE_MODE', 'include_sqs_side_records not supported by encoder: the side records include held group locks and reaper state; re-decode without --include-sqs-side-records, or encode with --adapter excluding sqs');
    }
  },
  encode: encodeSqs,
};
