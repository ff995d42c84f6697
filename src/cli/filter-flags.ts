// The `--include` / `--exclude` flags shared by decode, inspect and export.

import type { Adapter } from '../adapters/adapter.ts';
import { ALL_ADAPTERS } from '../adapters/registry.ts';
import { RecordFilter } from '../filter/record-filter.ts';
import { flagList, type FlagSpecs, type ParsedFlags } from './go-flags.ts';

/** Each adapter's filter fields, as its vocabulary names them: `NAME scope[,type][,key]`. */
const FIELDS = ALL_ADAPTERS.map(({ name, filter: f }) =>
  [name, [f.scopeField, ...(f.types !== undefined ? ['type'] : []), ...(f.keyed ? ['key'] : [])].join(',')].join(' '),
).join('; ');

export const FILTER_FLAGS: FlagSpecs = {
  include: {
    type: 'list',
    value: 'CLAUSE',
    help: `extension, repeatable: keep only records matching a clause ADAPTER[:FIELD=PATTERN,...]; fields: ${FIELDS}; PATTERN is a glob, or re:REGEX; \\xHH is a raw byte`,
  },
  exclude: { type: 'list', value: 'CLAUSE', help: 'extension, repeatable: leave out records matching a clause (same syntax as --include)' },
};

/** The filter the flags describe, or undefined when neither flag was given. */
export function filterFromFlags(flags: ParsedFlags, adapters: readonly Adapter[]): RecordFilter | undefined {
  return RecordFilter.parse(flagList(flags, 'include'), flagList(flags, 'exclude'), adapters);
}
