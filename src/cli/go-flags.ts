// Command-line flags with Go's `flag` package conventions (spec core.md §5.0), so the drop-in commands accept
// exactly what the reference tools accept:
// - `-name` and `--name` are the same flag; values as `-name value` or `-name=value`;
// - booleans only as `-name` or `-name=<bool>` (1 t T TRUE true True 0 f F FALSE false False);
// - parsing stops at the first non-flag argument (a lone `-` is one) or after `--`;
// - an unknown flag, a missing value or a bad value is an error; `-h`/`-help`/`--help` asks for help.

import { closest, distance } from 'fastest-levenshtein';
import { UserError } from '../errors.ts';

/** `list`: a string flag that may be repeated; every value is kept in order. */
type FlagType = 'string' | 'bool' | 'uint64' | 'list';

export interface FlagSpec {
  readonly type: FlagType;
  readonly help: string;
  /** Shown in help; the parsed default is the zero value unless `default` is set. */
  readonly default?: string | boolean;
  /** Placeholder shown in help, e.g. PATH. */
  readonly value?: string;
  /** The only values a string flag accepts; anything else is refused with this list. */
  readonly choices?: readonly string[];
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedFlags {
  readonly values: ReadonlyMap<string, string | boolean | bigint | readonly string[]>;
  /** Names of the flags that were given explicitly. */
  readonly given: ReadonlySet<string>;
  /** Arguments after the flags. */
  readonly rest: readonly string[];
  readonly help: boolean;
  /** `-version`/`--version` was given. */
  readonly version: boolean;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go strconv.ParseUint(s, 0, 64): base prefixes 0x/0o/0b or a leading 0 (octal), `_` between digits. */
export function parseGoUint(s: string): bigint | undefined {
  let body = s;
  let base = 10;
  if (/^0[xX]/.test(s)) {
    base = 16;
    body = s.slice(2);
  } else if (/^0[oO]/.test(s)) {
    base = 8;
    body = s.slice(2);
  } else if (/^0[bB]/.test(s)) {
    base = 2;
    body = s.slice(2);
  } else if (s.length > 1 && s[0] === '0') {
    base = 8;
    body = s.slice(1);
  }
  const hadPrefix = body !== s;
  if (body.includes('_')) {
    // Underscores only between digits, or right after a base prefix.
    if (!/^_?[0-9a-zA-Z]+(_[0-9a-zA-Z]+)*$/.test(body) || (body.startsWith('_') && !hadPrefix)) return undefined;
    body = body.replaceAll('_', '');
  }
  const digits = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (!digits.test(body)) return undefined;
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[base as 2 | 8 | 10 | 16];
  const n = BigInt(prefix + body);
  return n > 0xffff_ffff_ffff_ffffn ? undefined : n;
}

/** The defined flag a mistyped name most likely meant, if any is close enough. */
function suggestFlag(name: string, specs: FlagSpecs): string | undefined {
  const names = [...Object.keys(specs), 'help', 'version'];
  const prefixed = name.length >= 3 ? names.filter((n) => n.startsWith(name)) : [];
  if (prefixed.length === 1) return prefixed[0];
  const best = closest(name, names);
  return distance(name, best) <= (name.length >= 5 ? 2 : 1) ? best : undefined;
}

export function parseGoFlags(args: readonly string[], specs: FlagSpecs): ParsedFlags {
  const values = new Map<string, string | boolean | bigint | readonly string[]>();
  const given = new Set<string>();
  for (const [name, s] of Object.entries(specs)) {
    if (s.type === 'bool') values.set(name, s.default === true);
    else if (s.type === 'string') values.set(name, typeof s.default === 'string' ? s.default : '');
    else if (s.type === 'list') values.set(name, []);
    else values.set(name, 0n);
  }
  const bad = (why: string): UserError => new UserError('FLAG_INVALID', why);
  let i = 0;
  let help = false;
  let version = false;
  while (i < args.length) {
    const arg = args[i] as string;
    if (arg.length < 2 || arg[0] !== '-') break;
    let numMinuses = 1;
    if (arg[1] === '-') {
      numMinuses = 2;
      if (arg.length === 2) {
        i++; // "--" terminates the flags
        break;
      }
    }
    const body = arg.slice(numMinuses);
    if (body.length === 0 || body[0] === '-' || body[0] === '=') throw bad(`bad flag syntax: ${arg}`);
    i++;
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    // Messages show the flag as the user typed it (one or two dashes).
    const typed = arg.slice(0, numMinuses + name.length);
    const spec = specs[name];
    if (spec === undefined) {
      if (name === 'h' || name === 'help') {
        help = true;
        continue;
      }
      if (name === 'version') {
        version = true;
        continue;
      }
      const hint = suggestFlag(name, specs);
      throw bad(`flag provided but not defined: ${typed}${hint === undefined ? '' : `; did you mean --${hint}?`}`);
    }
    given.add(name);
    if (spec.type === 'bool') {
      if (inline === undefined) values.set(name, true);
      else if (TRUE.has(inline)) values.set(name, true);
      else if (FALSE.has(inline)) values.set(name, false);
      else throw bad(`invalid boolean value ${JSON.stringify(inline)} for ${typed}: parse error`);
      continue;
    }
    let v = inline;
    if (v === undefined) {
      const next = args[i];
      if (next === undefined) throw bad(`flag needs an argument: ${typed}`);
      v = next;
      i++;
    }
    if (spec.type === 'uint64') {
      const n = parseGoUint(v);
      if (n === undefined) throw bad(`invalid value ${JSON.stringify(v)} for flag ${typed}: parse error`);
      values.set(name, n);
    } else if (spec.type === 'list') {
      values.set(name, [...(values.get(name) as readonly string[]), v]);
    } else {
      if (spec.choices !== undefined && !spec.choices.includes(v)) {
        throw bad(`invalid value ${JSON.stringify(v)} for ${typed}; valid values: ${spec.choices.join(', ')}`);
      }
      values.set(name, v);
    }
  }
  return { values, given, rest: args.slice(i), help, version };
}

/** A command's flags: Go-style parsing, and no positional argument (a stray word is a mistake, not ignored). */
export function parseCommandFlags(args: readonly string[], specs: FlagSpecs): ParsedFlags {
  const p = parseGoFlags(args, specs);
  const extra = p.rest[0];
  if (extra !== undefined && !p.help && !p.version) {
    throw new UserError(
      'ARGS_UNEXPECTED',
      `unexpected argument ${JSON.stringify(extra)}${p.rest.length > 1 ? ` (and ${p.rest.length - 1} more)` : ''}: this command takes only flags (a list is one value: --adapter a,b)`,
    );
  }
  return p;
}

export function flagString(p: ParsedFlags, name: string): string {
  const v = p.values.get(name);
  if (typeof v !== 'string') throw new Error(`flag ${name} is not a string flag`);
  return v;
}

export function flagList(p: ParsedFlags, name: string): readonly string[] {
  const v = p.values.get(name);
  if (!Array.isArray(v)) throw new Error(`flag ${name} is not a list flag`);
  return v as readonly string[];
}

export function flagBool(p: ParsedFlags, name: string): boolean {
  const v = p.values.get(name);
  if (typeof v !== 'boolean') throw new Error(`flag ${name} is not a bool flag`);
  return v;
}

/** Help text for a command: usage line, description, then one line per flag. */
export function renderHelp(usage: string, description: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = s.type === 'bool' ? `  --${name}` : `  --${name} ${s.value ?? (s.type === 'uint64' ? 'N' : 'VALUE')}`;
    const def = s.default !== undefined && s.default !== '' && s.default !== false ? ` (default ${String(s.default)})` : '';
    return [left, s.help + def] as const;
  });
  const width = Math.min(40, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = rows.map(([l, h]) => (l.length + 2 > width ? `${l}\n${' '.repeat(width)}${h}` : l.padEnd(width) + h));
  const extra = ['  -h, --help'.padEnd(width) + 'show this help', '  --version'.padEnd(width) + 'print the version and exit'];
  return `Usage: ${usage}\n\n${description}\n\nFlags (Go style: -flag or --flag, --flag=value or --flag value):\n${[...lines, ...extra].join('\n')}\n`;
}
