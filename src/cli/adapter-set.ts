// `--adapter` parsing, as each reference CLI does it (spec core.md §2.6).
//
// Absent, "" or exactly "all": all four. Otherwise a comma list; elements are trimmed (the encode command
// also lower-cases them), empty elements ignored; an unknown name or an empty selection is an error (exit 1).

import { DECODE_ORDER, type AdapterName } from '../adapters/registry.ts';
import { UserError } from '../errors.ts';

const ALL_ADAPTER_NAMES: readonly AdapterName[] = DECODE_ORDER;
/** The `--adapter` default: every adapter, in the reference's order. */
export const DEFAULT_ADAPTER_FLAG = ALL_ADAPTER_NAMES.join(',');

export function parseAdapterSet(csv: string, mode: 'decode' | 'encode'): AdapterName[] {
  if (csv === '' || csv === 'all') return [...ALL_ADAPTER_NAMES];
  const out = new Set<AdapterName>();
  for (const raw of csv.split(',')) {
    let name = raw.trim();
    if (mode === 'encode') name = name.toLowerCase();
    if (name === '') continue;
    if (!(ALL_ADAPTER_NAMES as readonly string[]).includes(name)) {
      const valid = `valid names: ${ALL_ADAPTER_NAMES.join(', ')} (or all)`;
      throw new UserError('UNKNOWN_ADAPTER', mode === 'decode' ? `${name}: unknown adapter name; ${valid}` : `unknown adapter ${JSON.stringify(name)}; ${valid}`);
    }
    out.add(name as AdapterName);
  }
  if (out.size === 0) {
    throw new UserError(
      'NO_ADAPTERS',
      mode === 'decode' ? '--adapter selected zero adapters' : `--adapter ${JSON.stringify(csv)} selects no adapters; use "all" or a comma-separated subset`,
    );
  }
  return ALL_ADAPTER_NAMES.filter((n) => out.has(n));
}
