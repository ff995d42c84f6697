// Go's %q of a byte string (strconv.Quote of string(b)), the one way bytes are shown in messages: valid UTF-8
// printable characters as they are, `"` and `\` escaped, \a \b \f \n \r \t \v, other control and format
// characters as \xHH, \uHHHH or \UHHHHHHHH, and every byte of invalid UTF-8 as \xHH. The result is one line of
// printable text: no terminal control sequences, no bidi overrides.

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x07: '\\a',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
  0x22: '\\"',
  0x5c: '\\\\',
};

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** Length of the valid UTF-8 sequence at `i` and its code point, or undefined for an invalid byte. */
function utf8At(b: Uint8Array, i: number): { readonly cp: number; readonly len: number } | undefined {
  const c0 = b[i] as number;
  if (c0 < 0x80) return { cp: c0, len: 1 };
  const len = c0 >= 0xc2 && c0 <= 0xdf ? 2 : c0 >= 0xe0 && c0 <= 0xef ? 3 : c0 >= 0xf0 && c0 <= 0xf4 ? 4 : 0;
  if (len === 0 || i + len > b.length) return undefined;
  let cp = c0 & (0xff >> (len + 1));
  for (let k = 1; k < len; k++) {
    const c = b[i + k] as number;
    if ((c & 0xc0) !== 0x80) return undefined;
    cp = (cp << 6) | (c & 0x3f);
  }
  const min = len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
  return { cp, len };
}

/** `bytes` quoted as Go's `fmt.Sprintf("%q", bytes)` does. */
export function goQuote(bytes: Uint8Array): string {
  let out = '"';
  let i = 0;
  while (i < bytes.length) {
    const r = utf8At(bytes, i);
    if (r === undefined) {
      out += `\\x${hex(bytes[i] as number, 2)}`;
      i++;
      continue;
    }
    i += r.len;
    const short = SHORT_ESCAPES[r.cp];
    if (short !== undefined) out += short;
    else if (PRINTABLE.test(String.fromCodePoint(r.cp))) out += String.fromCodePoint(r.cp);
    else if (r.cp < 0x80) out += `\\x${hex(r.cp, 2)}`;
    else if (r.cp < 0x10000) out += `\\u${hex(r.cp, 4)}`;
    else out += `\\U${hex(r.cp, 8)}`;
  }
  return `${out}"`;
}
