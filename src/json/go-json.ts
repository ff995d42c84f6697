// The only JSON writer of the toolchain: reproduces Go's encoding/json output byte for byte.
//
// Go rules (Go 1.22+, the reference builds with 1.26), see spec core.md §6:
// - structs keep field declaration order; maps are sorted by the UTF-8 bytes of their keys;
// - `"` `\` escaped; \b \f \n \r \t short escapes; other bytes < 0x20 as \u00xx (lower-case hex);
//   U+2028/U+2029 always escaped; `<` `>` `&` escaped only when HTML escaping is on;
// - each byte of invalid UTF-8 in a string becomes the six characters \ufffd;
// - integers in full precision (bigint), float64 like JavaScript's String(x) except that -0 is "-0";
// - json.RawMessage fragments are compacted (and HTML-escaped when the outer writer escapes);
// - MarshalIndent is Indent(Marshal(v)): empty objects and arrays stay `{}` / `[]`.

/** A Go string that holds raw bytes, possibly invalid UTF-8 (Go escapes each invalid byte as \ufffd). */
export class GoBytes {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

/** A Go map: written with its keys sorted by their UTF-8 bytes. */
export class GoMap {
  readonly entries: ReadonlyArray<readonly [string, GoJson]>;
  constructor(entries: Iterable<readonly [string, GoJson]>) {
    this.entries = [...entries];
  }
}

/** A json.RawMessage: already-encoded JSON text, compacted and re-escaped by the outer writer. */
export class GoRaw {
  readonly json: string;
  constructor(json: string) {
    this.json = json;
  }
}

/**
 * A struct: a plain object whose own enumerable properties are written in insertion order. A property whose
 * value is `undefined` is skipped, which is how callers express `omitempty`. Field names must not be
 * integer-like (JavaScript would reorder them).
 */
export interface GoStruct {
  readonly [field: string]: GoJson | undefined;
}

export type GoJson = null | boolean | bigint | number | string | GoBytes | GoMap | GoRaw | readonly GoJson[] | GoStruct;

export interface GoJsonOptions {
  /** Escape `<`, `>`, `&` (Go's default; off for json.Encoder with SetEscapeHTML(false)). */
  readonly escapeHTML: boolean;
  /** Two-space indentation as MarshalIndent(v, "", "  ") / Encoder.SetIndent("", "  "). */
  readonly indent: boolean;
}

/** Go json.Marshal / MarshalIndent. No trailing newline. */
export function goMarshal(value: GoJson, options: GoJsonOptions): string {
  const compact = encodeValue(value, options.escapeHTML);
  return options.indent ? goIndent(compact) : compact;
}

/** Go json.Encoder.Encode: Marshal plus exactly one trailing newline. */
export function goEncodeLine(value: GoJson, options: GoJsonOptions): string {
  return goMarshal(value, options) + '\n';
}

const utf8 = new TextEncoder();

/** Compares two strings by their UTF-8 bytes (Go's map key order). */
function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  // Code-point order equals UTF-8 byte order; UTF-16 order differs only for astral vs U+E000..U+FFFF, so the first
  // differing code units decide when both are below the surrogates (or one string is a prefix of the other).
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  if (x < 0xd800 && y < 0xd800) return x - y;
  return Buffer.compare(utf8.encode(a), utf8.encode(b));
}

function encodeValue(v: GoJson, html: boolean): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'number':
      return encodeFloat(v);
    case 'string':
      return quoteString(v, html);
    default:
      break;
  }
  if (Array.isArray(v)) {
    const arr = v as readonly GoJson[];
    let out = '[';
    for (let i = 0; i < arr.length; i++) {
      if (i > 0) out += ',';
      out += encodeValue(arr[i] as GoJson, html);
    }
    return out + ']';
  }
  if (v instanceof GoBytes) return quoteJsonBytes(v.bytes, html);
  if (v instanceof GoRaw) return compactRaw(v.json, html);
  if (v instanceof GoMap) {
    const sorted = [...v.entries].sort((a, b) => compareUtf8(a[0], b[0]));
    let out = '{';
    let first = true;
    for (const [k, val] of sorted) {
      if (!first) out += ',';
      first = false;
      out += quoteString(k, html) + ':' + encodeValue(val, html);
    }
    return out + '}';
  }
  const obj = v as GoStruct;
  let out = '{';
  let first = true;
  for (const k of Object.keys(obj)) {
    const val = obj[k];
    if (val === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += quoteString(k, html) + ':' + encodeValue(val, html);
  }
  return out + '}';
}

function encodeFloat(x: number): string {
  if (!Number.isFinite(x)) throw new TypeError(`json: unsupported value: ${x}`);
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

const NEEDS_ESCAPE_HTML = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;
const NEEDS_ESCAPE_PLAIN = /[\u0000-\u001f"\\\u2028\u2029\ud800-\udfff]/;

function hex4(c: number): string {
  return '\\u' + c.toString(16).padStart(4, '0');
}

function escapeAscii(c: number, html: boolean): string | undefined {
  switch (c) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    default:
      if (c < 0x20) return hex4(c);
      if (html && (c === 0x3c || c === 0x3e || c === 0x26)) return hex4(c);
      return undefined;
  }
}

/** Quotes a JavaScript string as Go would quote the same text; lone surrogates count as invalid UTF-8. */
export function quoteString(s: string, html: boolean): string {
  if (!(html ? NEEDS_ESCAPE_HTML : NEEDS_ESCAPE_PLAIN).test(s)) return '"' + s + '"';
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x80) {
      rep = escapeAscii(c, html);
    } else if (c === 0x2028 || c === 0x2029) {
      rep = hex4(c);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++; // valid pair, copied as is
        continue;
      }
      // A lone surrogate has no UTF-8 form; TextEncoder (and so every byte we would hand Go) turns it
      // into U+FFFD, which Go writes raw.
      rep = '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      rep = '\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

const utf8Decoder = new TextDecoder('utf-8');

/**
 * Quotes raw bytes as Go quotes a string holding them: valid UTF-8 sequences are copied, each byte that does
 * not start a valid sequence becomes \ufffd (Go's utf8.DecodeRune rules: no overlongs, no surrogates,
 * nothing above U+10FFFF).
 */
function quoteJsonBytes(b: Uint8Array, html: boolean): string {
  let out = '"';
  let runStart = 0; // start of a run of bytes copied verbatim
  const flush = (end: number): void => {
    if (end > runStart) out += utf8Decoder.decode(b.subarray(runStart, end));
  };
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c < 0x80) {
      const rep = escapeAscii(c, html);
      if (rep !== undefined) {
        flush(i);
        out += rep;
        runStart = i + 1;
      }
      i++;
      continue;
    }
    const n = validSequenceLength(b, i);
    if (n === 0) {
      flush(i);
      out += '\\ufffd';
      i++;
      runStart = i;
      continue;
    }
    if (n === 3 && c === 0xe2 && b[i + 1] === 0x80 && (b[i + 2] === 0xa8 || b[i + 2] === 0xa9)) {
      flush(i);
      out += b[i + 2] === 0xa8 ? '\\u2028' : '\\u2029';
      runStart = i + 3;
    }
    i += n;
  }
  flush(b.length);
  return out + '"';
}

/** Length of the valid UTF-8 sequence starting at i, or 0 if the byte there does not start one. */
export function validSequenceLength(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  if (c < 0xc2) return 0;
  const c1 = b[i + 1];
  if (c1 === undefined) return 0;
  if (c < 0xe0) return c1 >= 0x80 && c1 <= 0xbf ? 2 : 0;
  let lo = 0x80;
  let hi = 0xbf;
  if (c === 0xe0) lo = 0xa0;
  else if (c === 0xed) hi = 0x9f;
  else if (c === 0xf0) lo = 0x90;
  else if (c === 0xf4) hi = 0x8f;
  if (c1 < lo || c1 > hi) return 0;
  const c2 = b[i + 2];
  if (c2 === undefined || c2 < 0x80 || c2 > 0xbf) return 0;
  if (c < 0xf0) return 3;
  if (c > 0xf4) return 0;
  const c3 = b[i + 3];
  if (c3 === undefined || c3 < 0x80 || c3 > 0xbf) return 0;
  return 4;
}

/** True when the bytes are entirely valid UTF-8 under Go's rules. */
export function isValidUtf8(b: Uint8Array): boolean {
  let i = 0;
  while (i < b.length) {
    if ((b[i] as number) < 0x80) {
      i++;
      continue;
    }
    const n = validSequenceLength(b, i);
    if (n === 0) return false;
    i += n;
  }
  return true;
}

/** Go's compact(): strips insignificant whitespace from valid JSON, escaping as the outer encoder does. */
function compactRaw(json: string, html: boolean): string {
  let out = '';
  let start = 0; // json[start, i) is copied unchanged
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // the escaped character is copied with its backslash
      else if (c === 0x22) inString = false;
      else if (html && (c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029)) {
        out += json.slice(start, i) + hex4(c);
        start = i + 1;
      }
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      out += json.slice(start, i);
      start = i + 1;
    } else if (c === 0x22) inString = true;
  }
  return start === 0 ? json : out + json.slice(start);
}

/** Newline and indentation for each depth, made once. */
const NEWLINES: string[] = ['\n'];

function newline(depth: number): string {
  for (let d = NEWLINES.length; d <= depth; d++) NEWLINES.push('\n' + '  '.repeat(d));
  return NEWLINES[depth] as string;
}

/** Whether c ends a run of literal characters (a number, true, false, null) in compact JSON. */
function endsLiteral(c: number): boolean {
  return c === 0x2c || c === 0x3a || c === 0x7d || c === 0x5d || c === 0x7b || c === 0x5b || c === 0x22;
}

/** Go's json.Indent(dst, src, "", "  ") over compact JSON; strings and literals are copied as whole slices. */
function goIndent(compact: string): string {
  let out = '';
  let depth = 0;
  let needIndent = false; // an opening bracket was written; newline pending unless the container is empty
  const n = compact.length;
  let i = 0;
  while (i < n) {
    const c = compact.charCodeAt(i);
    if (needIndent && c !== 0x5d && c !== 0x7d) {
      needIndent = false;
      depth++;
      out += newline(depth);
    }
    switch (c) {
      case 0x22: {
        // A string, through its closing quote: the first quote not escaped by an odd run of backslashes.
        let end = n;
        for (let q = compact.indexOf('"', i + 1); q >= 0; q = compact.indexOf('"', q + 1)) {
          let backslashes = 0;
          while (compact.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
          if (backslashes % 2 === 0) {
            end = q + 1;
            break;
          }
        }
        out += compact.slice(i, end);
        i = end;
        continue;
      }
      case 0x7b:
      case 0x5b:
        out += c === 0x7b ? '{' : '[';
        needIndent = true;
        break;
      case 0x2c:
        out += ',' + newline(depth);
        break;
      case 0x3a:
        out += ': ';
        break;
      case 0x7d:
      case 0x5d:
        if (needIndent) {
          needIndent = false; // empty container stays on one line
        } else {
          depth--;
          out += newline(depth);
        }
        out += c === 0x7d ? '}' : ']';
        break;
      default: {
        let end = i + 1;
        while (end < n && !endsLiteral(compact.charCodeAt(end))) end++;
        out += compact.slice(i, end);
        i = end;
        continue;
      }
    }
    i++;
  }
  return out;
}
