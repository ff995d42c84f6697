// DynamoDB numbers in keys (spec dynamodb.md §1.5, §2.5; elastickv: adapter/dynamodb_attrvalue.go
// (encodeNumericKeyBytes, canonicalNumberString), internal/backup/encode_dynamodb_numeric.go,
// internal/backup/dynamodb.go (canonicalDDBNumber)).
//
// numericKeyBytes: the order-preserving raw bytes of an `N` literal: `01` for zero, else a sign byte (`02`
// positive, `00` negative) and `ordI64(exponent) 00 digits`, complemented when negative.
// canonicalNumber: the filename form, Go big.Rat.SetString then RatString (`1.5` → `3/2`), or the trimmed text
// when big.Rat refuses it.

/** Go strings.TrimSpace: Unicode White_Space at both ends (U+0085 included, U+FEFF not). */
const GO_SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const TRIM = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, 'g');
const goTrimSpace = (s: string): string => s.replace(TRIM, '');

export class NumberSyntaxError extends Error {}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function ordU64(u: bigint): Buffer {
  let hex = u.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const body = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from([body.length]), body]);
}

const invert = (b: Buffer): Buffer => Buffer.from(b.map((x) => x ^ 0xff));

function ordI64(x: bigint): Buffer {
  if (x < 0n) return Buffer.concat([Buffer.from([0x00]), invert(ordU64(-x))]);
  if (x === 0n) return Buffer.from([0x01]);
  return Buffer.concat([Buffer.from([0x02]), ordU64(x)]);
}

/** A parsed number literal: zero, or ±0.D × 10^X with D the significant digits (no leading/trailing zeros). */
interface ParsedNumber {
  readonly zero: boolean;
  readonly negative: boolean;
  readonly digits: string;
  readonly exponent: bigint;
}

/** Parses an `N` literal with the key encoding's grammar (spec §1.5); throws NumberSyntaxError. */
function parseNumber(literal: string): ParsedNumber {
  let t = goTrimSpace(literal);
  if (t === '') throw new NumberSyntaxError('empty number literal');
  let negative = false;
  if (t[0] === '+') t = t.slice(1);
  else if (t[0] === '-') {
    negative = true;
    t = t.slice(1);
  }
  if (t === '') throw new NumberSyntaxError('number literal is sign only');
  let exp = 0n;
  const e = t.search(/[eE]/);
  if (e >= 0) {
    const expText = goTrimSpace(t.slice(e + 1));
    t = t.slice(0, e);
    if (expText === '') throw new NumberSyntaxError('empty exponent');
    if (!/^[+-]?[0-9]+$/.test(expText)) throw new NumberSyntaxError(`bad exponent ${JSON.stringify(expText)}`);
    exp = BigInt(expText);
    if (exp < INT64_MIN || exp > INT64_MAX) throw new NumberSyntaxError(`bad exponent ${JSON.stringify(expText)}`);
  }
  const parts = t.split('.');
  if (parts.length > 2) throw new NumberSyntaxError('number has multiple decimal points');
  const int = parts[0] as string;
  const frac = parts[1] ?? '';
  if (int === '' && frac === '') throw new NumberSyntaxError('number has no digits');
  if (!/^[0-9]*$/.test(int) || !/^[0-9]*$/.test(frac)) throw new NumberSyntaxError('number has non-decimal characters');
  const digits = int + frac;
  const lead = digits.length - digits.replace(/^0+/, '').length;
  if (lead === digits.length) return { zero: true, negative, digits: '', exponent: 0n };
  const significant = digits.slice(lead).replace(/0+$/, '');
  return {
    zero: false,
    negative,
    digits: significant,
    exponent: BigInt.asIntN(64, BigInt(int.length) + exp - BigInt(lead)),
  };
}

/** The raw (pre-segment) key bytes of a number literal; throws NumberSyntaxError. */
export function numericKeyBytes(literal: string): Buffer {
  const n = parseNumber(literal);
  if (n.zero) return Buffer.from([0x01]);
  const body = Buffer.concat([ordI64(n.exponent), Buffer.from([0x00]), Buffer.from(n.digits, 'latin1')]);
  return n.negative ? Buffer.concat([Buffer.from([0x00]), invert(body)]) : Buffer.concat([Buffer.from([0x02]), body]);
}

/**
 * DynamoDB's number limits: at most 38 significant digits, magnitude from 1E-130 up to
 * 9.9999999999999999999999999999999999999E+125. Returns the reason a literal is out of range, or undefined.
 */
export function dynamoNumberProblem(literal: string): string | undefined {
  let n: ParsedNumber;
  try {
    n = parseNumber(literal);
  } catch (err) {
    return `${JSON.stringify(literal)} is not a number (${(err as Error).message})`;
  }
  if (n.zero) return undefined;
  if (n.digits.length > 38) return `${JSON.stringify(literal)} has ${n.digits.length} significant digits (DynamoDB keeps at most 38)`;
  if (n.exponent > 126n) return `${JSON.stringify(literal)} is above DynamoDB's largest magnitude 9.9999999999999999999999999999999999999E+125`;
  if (n.exponent < -129n) return `${JSON.stringify(literal)} is below DynamoDB's smallest magnitude 1E-130`;
  return undefined;
}

// ---- big.Rat.SetString + RatString -------------------------------------------------------------------------

const DIGITS: Readonly<Record<number, RegExp>> = { 2: /^[01]$/, 8: /^[0-7]$/, 10: /^[0-9]$/, 16: /^[0-9a-fA-F]$/ };

interface Scanned {
  readonly value: bigint;
  readonly base: number;
  /** Digits after the radix point (0 without one). */
  readonly fracDigits: number;
  readonly digitCount: number;
  readonly pos: number;
}

/**
 * Go nat.scan with base 0: an optional 0b/0o/0x prefix (a bare leading 0 means octal only when fractions are not
 * allowed), digits with `_` only between digits or after a prefix, and with fracOk one optional `.`.
 */
function scanNat(s: string, start: number, fracOk: boolean): Scanned | undefined {
  let pos = start;
  let base = 10;
  let prefixed = false;
  if (s[pos] === '0' && pos + 1 < s.length) {
    const p = (s[pos + 1] as string).toLowerCase();
    if (p === 'b' || p === 'o' || p === 'x') {
      base = p === 'b' ? 2 : p === 'o' ? 8 : 16;
      pos += 2;
      prefixed = true;
    } else if (!fracOk) {
      base = 8;
      pos += 1;
      prefixed = true; // the leading 0 counts as a digit of the octal number
    }
  }
  let value = 0n;
  let digitCount = prefixed && base === 8 && !fracOk ? 1 : 0;
  let fracDigits = 0;
  let seenDot = false;
  let prev: 'start' | 'digit' | '_' | '.' = prefixed ? '_' : 'start';
  if (prefixed && base === 8 && !fracOk) prev = 'digit';
  let sepOk = true;
  for (; pos < s.length; pos++) {
    const c = s[pos] as string;
    if (c === '.' && fracOk && !seenDot) {
      seenDot = true;
      if (prev === '_') sepOk = false;
      prev = '.';
      continue;
    }
    if (c === '_') {
      if (prev !== 'digit' && !(prev === '_' && prefixed && digitCount === 0 && (s[pos - 1] === 'x' || s[pos - 1] === 'X' || s[pos - 1] === 'b' || s[pos - 1] === 'B' || s[pos - 1] === 'o' || s[pos - 1] === 'O'))) sepOk = false;
      prev = '_';
      continue;
    }
    if (!(DIGITS[base] as RegExp).test(c)) break;
    value = value * BigInt(base) + BigInt(parseInt(c, 16));
    digitCount++;
    if (seenDot) fracDigits++;
    prev = 'digit';
  }
  if (prev === '_') sepOk = false;
  if (!sepOk || digitCount === 0) return undefined;
  return { value, base, fracDigits, digitCount, pos };
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function ratString(num: bigint, den: bigint): string {
  if (num === 0n) return '0';
  const g = gcd(num, den);
  const n = num / g;
  const d = den / g;
  return d === 1n ? n.toString() : `${n}/${d}`;
}

/** Go big.Rat.SetString(s) followed by RatString(), or undefined when SetString fails. */
function goRatString(s: string): string | undefined {
  if (s === '') return undefined;
  const slash = s.indexOf('/');
  if (slash >= 0) {
    let p = 0;
    let neg = false;
    if (s[0] === '+' || s[0] === '-') {
      neg = s[0] === '-';
      p = 1;
    }
    const a = scanNat(s.slice(0, slash), p, false);
    if (a === undefined || a.pos !== slash) return undefined;
    const b = scanNat(s.slice(slash + 1), 0, false);
    if (b === undefined || b.pos !== s.length - slash - 1 || b.value === 0n) return undefined;
    return ratString(neg ? -a.value : a.value, b.value);
  }
  let p = 0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    p = 1;
  }
  const m = scanNat(s, p, true);
  if (m === undefined) return undefined;
  p = m.pos;
  let exp = 0n;
  let expBase = 10;
  if (p < s.length) {
    const c = (s[p] as string).toLowerCase();
    if (c !== 'e' && c !== 'p') return undefined;
    expBase = c === 'e' ? 10 : 2;
    const rest = s.slice(p + 1);
    if (!/^[+-]?[0-9]+(?:_[0-9]+)*$/.test(rest)) return undefined;
    exp = BigInt(rest.replaceAll('_', ''));
    if (exp < INT64_MIN || exp > INT64_MAX) return undefined;
  }
  if (m.value === 0n) return '0';
  let exp2: bigint;
  let exp5 = 0n;
  const d = BigInt(-m.fracDigits);
  if (m.base === 10) {
    exp5 = d;
    exp2 = d;
  } else if (m.base === 2) exp2 = d;
  else if (m.base === 8) exp2 = d * 3n;
  else exp2 = d * 4n;
  if (expBase === 10) exp5 += exp;
  exp2 += exp;
  let num = m.value;
  let den = 1n;
  if (exp5 !== 0n) {
    const n = exp5 < 0n ? -exp5 : exp5;
    if (n > 1_000_000n) return undefined;
    const pow5 = 5n ** n;
    if (exp5 > 0n) num *= pow5;
    else den = pow5;
  }
  if (exp2 < -10_000_000n || exp2 > 10_000_000n) return undefined;
  if (exp2 > 0n) num <<= exp2;
  else if (exp2 < 0n) den <<= -exp2;
  return ratString(neg ? -num : num, den);
}

/** canonicalDDBNumber: the filename text of a numeric key. */
export function canonicalNumber(literal: string): string {
  const t = goTrimSpace(literal);
  return goRatString(t) ?? t;
}
