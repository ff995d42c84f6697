// Patterns matched against raw bytes (user keys, table/bucket/queue names): a glob (anchored, like Redis
// SCAN MATCH) or, with a `re:` prefix, a JavaScript regular expression (unanchored, like grep). Bytes are
// matched as latin1 text, one character per byte, so any key can be matched: non-ASCII characters of the
// pattern stand for their UTF-8 bytes, and `\xHH` stands for one raw byte in both forms.
//
// Hand-written because glob libraries (picomatch, minimatch) work on path strings with `/` semantics and
// cannot express raw bytes.

import { UserError } from '../errors.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

export interface BytePattern {
  /** The pattern as the user wrote it. */
  readonly source: string;
  test(bytes: Uint8Array): boolean;
}

const asLatin1 = (b: Uint8Array): string => asBuffer(b).toString('latin1');
/** A pattern's text with every non-ASCII character replaced by its UTF-8 bytes as latin1 characters. */
const utf8AsLatin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const escapeRe = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

function bad(source: string, why: string): UserError {
  return new UserError('FILTER_INVALID', `filter pattern ${JSON.stringify(source)}: ${why}`);
}

/** Reads `\xHH` or `\c` at `i` (pointing at the backslash); returns the literal latin1 character and the next index. */
function escapeAt(p: string, i: number, source: string): [string, number] {
  const next = p[i + 1];
  if (next === undefined) throw bad(source, 'trailing backslash');
  if (next === 'x') {
    const hex = p.slice(i + 2, i + 4);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw bad(source, '\\x needs two hex digits');
    return [String.fromCharCode(parseInt(hex, 16)), i + 4];
  }
  return [next, i + 2];
}

/** Glob to an anchored regular expression over latin1 text: `*`, `?`, `[abc]`, `[^a-z]`/`[!a-z]`, `\` escapes. */
function globToRegExp(source: string): RegExp {
  const p = utf8AsLatin1(source);
  let out = '^';
  let i = 0;
  while (i < p.length) {
    const c = p[i] as string;
    if (c === '*') {
      out += '[\\s\\S]*';
      i++;
    } else if (c === '?') {
      out += '[\\s\\S]';
      i++;
    } else if (c === '\\') {
      const [lit, n] = escapeAt(p, i, source);
      out += escapeRe(lit);
      i = n;
    } else if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (p[j] === '!' || p[j] === '^') {
        cls += '^';
        j++;
      }
      let first = true;
      while (j < p.length && (p[j] !== ']' || first)) {
        first = false;
        const d = p[j] as string;
        if (d === '\\') {
          const [lit, n] = escapeAt(p, j, source);
          cls += escapeRe(lit);
          j = n;
        } else {
          cls += d === '-' ? '-' : escapeRe(d);
          j++;
        }
      }
      if (j >= p.length) throw bad(source, 'unterminated [');
      out += `${cls}]`;
      i = j + 1;
    } else {
      out += escapeRe(c);
      i++;
    }
  }
  try {
    return new RegExp(`${out}$`);
  } catch (err) {
    throw bad(source, (err as Error).message);
  }
}

/** Parses a pattern: `re:<regex>` or a glob. */
export function parseBytePattern(source: string): BytePattern {
  let re: RegExp;
  if (source.startsWith('re:')) {
    try {
      re = new RegExp(utf8AsLatin1(source.slice(3)));
    } catch (err) {
      throw bad(source, (err as Error).message);
    }
  } else {
    re = globToRegExp(source);
  }
  return { source, test: (bytes) => re.test(asLatin1(bytes)) };
}
