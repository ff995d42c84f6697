// The fast path for the entry lines of a stream file: one pass over a line in the shape the decoder writes it,
// `{"id":"<ms>-<seq>","fields":[{"name":"…","value":"…"},…]}` with no whitespace, ids of at most 15 digits a half,
// and names and values that are JSON strings of printable ASCII with nothing escaped (no `"`, `\`, `<`, `>`, `&`).
//
// Anything else (the `_meta` line, escapes, unicode, a base64 envelope, whitespace, another key or key order, a
// longer id) makes the scan give up, and the caller parses the line with Go's rules (collections-encode.ts
// parseStreamValue), which also reports its errors. So the scan only ever takes lines both paths read alike: the
// id's digits are what the generic path parses, and a printable ASCII string is its own UTF-8 bytes.

import { PLAIN } from './binary-json.ts';

/** A stream entry line read by the scan: its fields are views into the line. */
export interface ScannedStreamEntry {
  readonly kind: 'entry';
  readonly id: string;
  readonly ms: bigint;
  readonly seq: bigint;
  readonly fields: readonly Buffer[];
}

const ID_HEAD = Buffer.from('{"id":"', 'latin1');
const FIELDS_HEAD = Buffer.from(',"fields":[', 'latin1');
const NAME_HEAD = Buffer.from('{"name":"', 'latin1');
const VALUE_HEAD = Buffer.from(',"value":"', 'latin1');
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
/** Digits of an id half that make a safe integer in a double. */
const MAX_DIGITS = 15;

/** Whether `b` holds `head` at `at`. */
function headAt(b: Buffer, at: number, head: Buffer): boolean {
  if (at + head.length > b.length) return false;
  for (let i = 0; i < head.length; i++) if (b[at + i] !== head[i]) return false;
  return true;
}

/** The end of a run of 1 to MAX_DIGITS decimal digits from `at` that `stop` follows, or -1. */
function digitsBefore(b: Buffer, at: number, stop: number): number {
  let i = at;
  while (i - at <= MAX_DIGITS && (b[i] as number) >= ZERO && (b[i] as number) <= NINE) i++;
  return i === at || i - at > MAX_DIGITS || b[i] !== stop ? -1 : i;
}

/** The value of the digits b[from, to). */
function digitsValue(b: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (b[i] as number) - ZERO;
  return n;
}

/** Offset after a run of plain string bytes from `at`, or -1 when the string does not end there with a quote. */
function plainString(b: Buffer, at: number): number {
  const n = b.length;
  while (at < n && PLAIN[b[at] as number] === 1) at++;
  return at < n && b[at] === QUOTE ? at : -1;
}

/** The entry on `line` when it is in the decoder's shape; undefined for any other line. */
export function scanStreamEntry(line: Buffer): ScannedStreamEntry | undefined {
  if (!headAt(line, 0, ID_HEAD)) return undefined;
  const idStart = ID_HEAD.length;
  const msEnd = digitsBefore(line, idStart, MINUS);
  if (msEnd < 0) return undefined;
  const seqEnd = digitsBefore(line, msEnd + 1, QUOTE);
  if (seqEnd < 0) return undefined;
  const id = line.toString('latin1', idStart, seqEnd);
  let i = seqEnd + 1;
  if (!headAt(line, i, FIELDS_HEAD)) return undefined;
  i += FIELDS_HEAD.length;
  const fields: Buffer[] = [];
  if (line[i] === CLOSE_ARRAY) i++;
  else {
    for (;;) {
      if (!headAt(line, i, NAME_HEAD)) return undefined;
      const nameStart = i + NAME_HEAD.length;
      const nameEnd = plainString(line, nameStart);
      if (nameEnd < 0 || !headAt(line, nameEnd + 1, VALUE_HEAD)) return undefined;
      const valueStart = nameEnd + 1 + VALUE_HEAD.length;
      const valueEnd = plainString(line, valueStart);
      if (valueEnd < 0 || line[valueEnd + 1] !== CLOSE_OBJECT) return undefined;
      fields.push(line.subarray(nameStart, nameEnd), line.subarray(valueStart, valueEnd));
      i = valueEnd + 2;
      if (line[i] === COMMA) {
        i++;
        continue;
      }
      if (line[i] !== CLOSE_ARRAY) return undefined;
      i++;
      break;
    }
  }
  if (line[i] !== CLOSE_OBJECT || i + 1 !== line.length) return undefined;
  const ms = BigInt(digitsValue(line, idStart, msEnd));
  return { kind: 'entry', id, ms, seq: BigInt(digitsValue(line, msEnd + 1, seqEnd)), fields };
}
