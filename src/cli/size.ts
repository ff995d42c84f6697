// Byte sizes on the command line: a number with an optional K/M/G/T suffix (powers of 1024; `KiB`, `MB`,
// `k` all accepted).

import { UserError } from '../errors.ts';

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function parseSize(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*$/.exec(text);
  const unit = m === null ? undefined : UNITS[(m[2] ?? '').toLowerCase()];
  if (m === null || unit === undefined) throw new UserError('FLAG_INVALID', `--${flag}: ${JSON.stringify(text)} is not a size (examples: 268435456, 256M, 1G)`);
  const n = Math.floor(Number(m[1]) * unit);
  if (n < 1024 * 1024) throw new UserError('FLAG_INVALID', `--${flag}: ${text} is below the 1 MiB minimum`);
  return n;
}
