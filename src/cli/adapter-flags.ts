// Decode flags the adapters own (each adapter's `options`): merged into decode's flags, and read back into the
// decode switches they set. Decode itself names none of them.

import type { Adapter, AdapterFlagValues, DecodeSwitches } from '../adapters/adapter.ts';
import { flagBool, flagString, type FlagSpecs, type ParsedFlags } from './go-flags.ts';
import { parseSize } from './size.ts';

/** The adapters' decode flags, in the adapters' order; a name claimed twice is a programming error. */
export function adapterFlagSpecs(adapters: readonly Adapter[], taken: FlagSpecs): FlagSpecs {
  const specs: Record<string, FlagSpecs[string]> = {};
  for (const a of adapters) {
    for (const [name, flag] of Object.entries(a.options?.flags ?? {})) {
      if (name in specs || name in taken) throw new Error(`decode flag --${name} of adapter ${a.name} is claimed twice`);
      specs[name] = flag;
    }
  }
  return specs;
}

/** Parsed flags as the adapters and other flag owners read them. */
export function flagValues(flags: ParsedFlags): AdapterFlagValues {
  return {
    bool: (name) => flagBool(flags, name),
    string: (name) => flagString(flags, name),
    size: (name) => parseSize(name, flagString(flags, name)),
  };
}

/** The decode switches the adapters' flags set. */
export function adapterSwitches(adapters: readonly Adapter[], flags: ParsedFlags): Partial<DecodeSwitches> {
  const values = flagValues(flags);
  return Object.assign(
    {},
    ...adapters.map((a) => a.options?.switchesFromFlags(values) ?? {}),
  ) as Partial<DecodeSwitches>;
}
