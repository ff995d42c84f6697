import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseBytePattern } from '../../src/filter/byte-pattern.ts';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

test('globs are anchored and work on bytes', () => {
  const p = parseBytePattern('user:*');
  assert.equal(p.test(b('user:42')), true);
  assert.equal(p.test(b('xuser:42')), false);
  assert.equal(parseBytePattern('a?c').test(b('abc')), true);
  assert.equal(parseBytePattern('a?c').test(b('abbc')), false);
  assert.equal(parseBytePattern('[a-c]x').test(b('bx')), true);
  assert.equal(parseBytePattern('[!a-c]x').test(b('bx')), false);
  assert.equal(parseBytePattern('\\*').test(b('*')), true);
  assert.equal(parseBytePattern('\\*').test(b('a')), false);
  // ? is one byte: é is two.
  assert.equal(parseBytePattern('?').test(b('é')), false);
  assert.equal(parseBytePattern('??').test(b('é')), true);
  assert.equal(parseBytePattern('é*').test(b('éa')), true);
});

test('raw bytes through \\xHH in globs and regexes', () => {
  const key = Buffer.from([0x62, 0x00, 0xff, 0x3c]);
  assert.equal(parseBytePattern('b\\x00\\xff<').test(key), true);
  assert.equal(parseBytePattern('b\\x00\\xfe<').test(key), false);
  assert.equal(parseBytePattern('re:\\x00\\xff').test(key), true);
  assert.equal(parseBytePattern('re:^\\xff').test(key), false);
});

test('regexes are unanchored', () => {
  assert.equal(parseBytePattern('re:ab').test(b('xaby')), true);
  assert.equal(parseBytePattern('re:^ab$').test(b('xaby')), false);
  assert.equal(parseBytePattern('re:a{1,2}b').test(b('aab')), true);
});

test('bad patterns are coded errors', () => {
  for (const p of ['[abc', 'a\\', '\\xZZ', 're:(']) assert.throws(() => parseBytePattern(p), { code: 'FILTER_INVALID' });
});

test('property: a glob made of \\xHH escapes of some bytes matches exactly those bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ maxLength: 24 }), (a, other) => {
      const glob = [...a].map((x) => `\\x${x.toString(16).padStart(2, '0')}`).join('');
      const p = parseBytePattern(glob);
      assert.equal(p.test(a), true);
      assert.equal(p.test(other), Buffer.from(a).equals(Buffer.from(other)));
      assert.equal(parseBytePattern(`${glob}*`).test(Buffer.concat([a, other])), true);
    }),
  );
});
