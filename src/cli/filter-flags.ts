// The `--include` / `--exclude` flags shared by decode, inspect and export.

import type { Adapter } from '../adapters/adapter.ts';
import { RecordFilter } from '../filter/record-filter.ts';
import { flagList, type FlagSpecs, type ParsedFlags } from './go-flags.ts';

export const FILTER_FLAGS: FlagSpecs = {
  include: {
    type: 'list',
    value: 'CLAUSE',
    help: 'extension, repeatable: keep only records matching a clause ADAPTER[:FIELD=PATTERN,...]; fields: redis db,type,key; dynamodb table,key; s3 bucket,key; sqs queue; PATTERN is a glob, or re:REGEX; \\xHH is a raw byte',
  },
  exclude: { type: 'list', value: 'CLAUSE', help: 'extension, repeatable: leave out records matching a clause (same syntax as --include)' },
};

/** The filter the flags describe, or undefined when neither flag was given. */
export function filterFromFlags(flags: ParsedFlags, adapters: readonly Adapter[]): RecordFilter | undefined {
  return RecordFilter.parse(flagList(flags, 'include'), flagList(flags, 'exclude'), adapters);
}
