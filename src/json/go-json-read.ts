// Reading JSON from the dump tree the way Go's encoding/json would accept it, without losing 64-bit integers.
//
// parseJson keeps numbers as their source text (JsonNumber) and objects as ordered key/value lists, so callers
// can apply Go's struct rules: a key matches a field exactly or case-insensitively, the last duplicate wins,
// unknown keys are ignored unless a call site disallows them, and `null` leaves a non-pointer field at zero.

export class JsonNumber {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  /** True for an integer literal (no fraction, no exponent). */
  get isInteger(): boolean {
    return /^-?\d+$/.test(this.text);
  }
  toNumber(): number {
    return Number(this.text);
  }
}

export class JsonObject {
  readonly entries: ReadonlyArray<readonly [string, JsonValue]>;
  /** The text the object was parsed from, and where each entry's value lies in it (start, end per entry). */
  readonly #source: string;
  readonly #spans: readonly number[];
  constructor(entries: ReadonlyArray<readonly [string, JsonValue]>, source = '', spans: readonly number[] = []) {
    this.entries = entries;
    this.#source = source;
    this.#spans = spans;
  }
  /** The source text of entry i's value (Go json.RawMessage keeps the bytes as written). */
  raw(i: number): string {
    return this.#source.slice(this.#spans[2 * i], this.#spans[2 * i + 1]);
  }
  /** Source text of the value `field()` would return. */
  rawField(field: string): string | undefined {
    const i = this.#find(field);
    return i === -1 ? undefined : this.raw(i);
  }
  /** Go struct-field lookup: the last key equal to `field` ignoring case; undefined when absent. */
  field(field: string): JsonValue | undefined {
    const i = this.#find(field);
    return i === -1 ? undefined : (this.entries[i] as readonly [string, JsonValue])[1];
  }
  /** Lower-cased key → index of its last entry, built at the first lookup (objects are read field by field). */
  #folded: Map<string, number> | undefined;
  #find(field: string): number {
    let folded = this.#folded;
    if (folded === undefined) {
      folded = new Map();
      for (let i = 0; i < this.entries.length; i++)
        folded.set((this.entries[i] as readonly [string, JsonValue])[0].toLowerCase(), i);
      this.#folded = folded;
    }
    return folded.get(field.toLowerCase()) ?? -1;
  }
  /** Exact, case-sensitive lookup (Go map[string]json.RawMessage); last duplicate wins. */
  get(key: string): JsonValue | undefined {
    let found: JsonValue | undefined;
    for (const [k, v] of this.entries) if (k === key) found = v;
    return found;
  }
  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }
  keys(): string[] {
    return this.entries.map(([k]) => k);
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

export class JsonSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at character ${position}`);
    this.position = position;
  }
}

/**
 * Deepest nesting accepted. Go's decoder allows 10000, which a JavaScript stack does not survive (the parser and
 * the converters after it recurse); no file of a dump tree nests anywhere near this (DynamoDB documents: 32).
 */
const MAX_JSON_DEPTH = 1000;

/** Parses one JSON value; only whitespace may follow it (Go json.Unmarshal). */
export function parseJson(text: string): JsonValue {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.pos !== text.length) throw new JsonSyntaxError('invalid character after top-level value', p.pos);
  return v;
}

/** Parses a stream of JSON values separated by optional whitespace (Go json.Decoder in a loop). */
export function parseJsonValues(text: string): JsonValue[] {
  const p = new Parser(text);
  const out: JsonValue[] = [];
  for (;;) {
    p.ws();
    if (p.pos === text.length) return out;
    out.push(p.value(0));
  }
}

const decoder = new TextDecoder('utf-8');

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

export function parseJsonBytes(bytes: Uint8Array): JsonValue {
  return parseJson(decoder.decode(bytes));
}

class Parser {
  readonly s: string;
  pos = 0;
  constructor(s: string) {
    this.s = s;
  }

  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_JSON_DEPTH) throw new JsonSyntaxError(`exceeded max depth (${MAX_JSON_DEPTH} levels of nesting)`, this.pos);
    const c = this.s[this.pos];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        throw new JsonSyntaxError(c === undefined ? 'unexpected end of JSON input' : `invalid character ${JSON.stringify(c)}`, this.pos);
    }
  }

  literal<T>(word: string, v: T): T {
    if (this.s.startsWith(word, this.pos)) {
      this.pos += word.length;
      return v;
    }
    throw new JsonSyntaxError(`invalid literal`, this.pos);
  }

  number(): JsonNumber {
    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, scanned by hand (a pattern costs a slice and a match).
    const s = this.s;
    const start = this.pos;
    let i = start;
    if (s.charCodeAt(i) === 0x2d) i++;
    if (s.charCodeAt(i) === 0x30) i++;
    else if (isDigit(s.charCodeAt(i))) while (isDigit(s.charCodeAt(i))) i++;
    else throw new JsonSyntaxError('invalid number', start);
    if (s.charCodeAt(i) === 0x2e && isDigit(s.charCodeAt(i + 1))) {
      i += 2;
      while (isDigit(s.charCodeAt(i))) i++;
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      let j = i + 1;
      const sign = s.charCodeAt(j);
      if (sign === 0x2b || sign === 0x2d) j++;
      if (isDigit(s.charCodeAt(j))) {
        while (isDigit(s.charCodeAt(j))) j++;
        i = j;
      }
    }
    this.pos = i;
    return new JsonNumber(s.slice(start, i));
  }

  string(): string {
    const s = this.s;
    this.pos++; // opening quote
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.pos >= s.length) throw new JsonSyntaxError('unexpected end of JSON input', this.pos);
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) {
        out += s.slice(start, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) throw new JsonSyntaxError('invalid character in string literal', this.pos);
      if (c === 0x5c) {
        out += s.slice(start, this.pos);
        out += this.escape();
        start = this.pos;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        // Raw lone surrogates cannot come from decoded UTF-8 except as U+FFFD; keep pairs, replace the rest.
        const isPair = c <= 0xdbff && (s.charCodeAt(this.pos + 1) & 0xfc00) === 0xdc00;
        if (!isPair) {
          out += s.slice(start, this.pos) + '\ufffd';
          this.pos++;
          start = this.pos;
          continue;
        }
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
  }

  escape(): string {
    const s = this.s;
    const e = s[this.pos + 1];
    this.pos += 2;
    switch (e) {
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const u1 = this.hex4();
        if (u1 >= 0xd800 && u1 <= 0xdbff && s[this.pos] === '\\' && s[this.pos + 1] === 'u') {
          const save = this.pos;
          this.pos += 2;
          const u2 = this.hex4();
          if (u2 >= 0xdc00 && u2 <= 0xdfff) return String.fromCharCode(u1, u2);
          this.pos = save; // Go: the first half becomes U+FFFD, the second escape is decoded on its own
          return '\ufffd';
        }
        if (u1 >= 0xd800 && u1 <= 0xdfff) return '\ufffd';
        return String.fromCharCode(u1);
      }
      default:
        throw new JsonSyntaxError('invalid escape in string literal', this.pos - 1);
    }
  }

  hex4(): number {
    const h = this.s.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) throw new JsonSyntaxError('invalid \\u escape', this.pos);
    this.pos += 4;
    return parseInt(h, 16);
  }

  array(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.pos];
      this.pos++;
      if (c === ']') return out;
      if (c !== ',') throw new JsonSyntaxError("expected ',' or ']' in array", this.pos - 1);
    }
  }

  object(depth: number): JsonObject {
    this.pos++;
    const entries: [string, JsonValue][] = [];
    const spans: number[] = [];
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return new JsonObject(entries);
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') throw new JsonSyntaxError('expected string for object key', this.pos);
      const k = this.string();
      this.ws();
      if (this.s[this.pos] !== ':') throw new JsonSyntaxError("expected ':' after object key", this.pos);
      this.pos++;
      this.ws();
      const start = this.pos;
      entries.push([k, this.value(depth + 1)]);
      spans.push(start, this.pos);
      this.ws();
      const c = this.s[this.pos];
      this.pos++;
      if (c === '}') return new JsonObject(entries, this.s, spans);
      if (c !== ',') throw new JsonSyntaxError("expected ',' or '}' in object", this.pos - 1);
    }
  }
}

// ---- typed field readers with Go's decoding rules ----------------------------------------------------------

/** Thrown by the typed readers below; callers wrap it into a DataError naming the file. */
export class JsonTypeError extends Error {}

/** Largest value of each integer width, and the most negative signed one (computed once, not per call). */
const UINT_MAX = { 32: 0xffff_ffffn, 64: 0xffff_ffff_ffff_ffffn } as const;
const INT_MAX = { 32: 0x7fff_ffffn, 64: 0x7fff_ffff_ffff_ffffn } as const;
const INT_MIN = { 32: -0x8000_0000n, 64: -0x8000_0000_0000_0000n } as const;

/** True for Go's integer literal: an optional `-` (when signed), then `0` or digits without a leading zero. */
function isIntegerText(t: string, signed: boolean): boolean {
  let i = signed && t.charCodeAt(0) === 0x2d ? 1 : 0;
  const n = t.length;
  if (i === n) return false;
  if (t.charCodeAt(i) === 0x30) return n === i + 1;
  for (; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Go uint64/uint32 decoding: an integer literal in range; null leaves zero. */
export function readUint(v: JsonValue | undefined, field: string, bits: 32 | 64 = 64): bigint {
  if (v === undefined || v === null) return 0n;
  if (!(v instanceof JsonNumber) || !isIntegerText(v.text, false)) {
    throw new JsonTypeError(`${field}: cannot unmarshal ${describe(v)} into an unsigned ${bits}-bit integer`);
  }
  const n = BigInt(v.text);
  if (n > UINT_MAX[bits]) throw new JsonTypeError(`${field}: ${v.text} overflows uint${bits}`);
  return n;
}

/** Go int64/int32 decoding. */
export function readInt(v: JsonValue | undefined, field: string, bits: 32 | 64 = 64): bigint {
  if (v === undefined || v === null) return 0n;
  if (!(v instanceof JsonNumber) || !isIntegerText(v.text, true)) {
    throw new JsonTypeError(`${field}: cannot unmarshal ${describe(v)} into a ${bits}-bit integer`);
  }
  const n = BigInt(v.text);
  if (n < INT_MIN[bits] || n > INT_MAX[bits]) throw new JsonTypeError(`${field}: ${v.text} overflows int${bits}`);
  return n;
}

export function readString(v: JsonValue | undefined, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new JsonTypeError(`${field}: cannot unmarshal ${describe(v)} into a string`);
  return v;
}

export function readBool(v: JsonValue | undefined, field: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new JsonTypeError(`${field}: cannot unmarshal ${describe(v)} into a bool`);
  return v;
}

export function readObject(v: JsonValue | undefined, field: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof JsonObject)) throw new JsonTypeError(`${field}: cannot unmarshal ${describe(v)} into an object`);
  return v;
}

export function readArray(v: JsonValue | undefined, field: string): JsonValue[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new JsonTypeError(`${field}: cannot unmarshal ${describe(v)} into an array`);
  return v;
}

function describe(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof JsonNumber) return 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}
