// What every command does first: parse its flags (no stray arguments), and answer --help and --version.

import { PACKAGE_VERSION } from '../version.ts';
import { parseCommandFlags, type FlagSpecs, type ParsedFlags } from './go-flags.ts';
import type { CliIO } from './io.ts';

/** The parsed flags, or undefined when the command line asked for help or the version (already printed). */
export function commandFlags(
  args: readonly string[],
  specs: FlagSpecs,
  io: CliIO,
  help: () => string,
): ParsedFlags | undefined {
  const flags = parseCommandFlags(args, specs);
  if (flags.help) {
    io.stdout.write(help());
    return undefined;
  }
  if (flags.version) {
    io.stdout.write(`${PACKAGE_VERSION}\n`);
    return undefined;
  }
  return flags;
}
