import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { GoBytes, GoMap, GoRaw, goEncodeLine, goMarshal, isValidUtf8, type GoJson } from '../../src/json/go-json.ts';
import { parseJson, JsonNumber, JsonObject, JsonTypeError, readInt, readUint } from '../../src/json/go-json-read.ts';

const fixtures = new Map(
  (JSON.parse(readFileSync(new URL('../fixtures/go-json-outputs.json', import.meta.url), 'utf8')) as Array<{ name: string; out_b64: string }>).map((c) => [
    c.name,
    Buffer.from(c.out_b64, 'base64').toString('utf8'),
  ]),
);
const go = (name: string): string => {
  const v = fixtures.get(name);
  assert.ok(v !== undefined, `fixture ${name}`);
  return v;
};
const HTML = { escapeHTML: true, indent: false };
const PLAIN = { escapeHTML: false, indent: false };

let ctrl = '';
for (let i = 0; i < 0x20; i++) ctrl += String.fromCharCode(i);
ctrl += '\x7f"\\/<>&\u2028\u2029é😀\ufffd';

test('control characters, quotes, U+2028/2029 and HTML characters match Go', () => {
  assert.equal(goEncodeLine(ctrl, HTML), go('ctrl_html'));
  assert.equal(goEncodeLine(ctrl, PLAIN), go('ctrl_nohtml'));
  // The same text given as raw bytes must encode identically.
  assert.equal(goEncodeLine(new GoBytes(Buffer.from(ctrl, 'utf8')), HTML), go('ctrl_html'));
  assert.equal(goEncodeLine(new GoBytes(Buffer.from(ctrl, 'utf8')), PLAIN), go('ctrl_nohtml'));
});

test('invalid UTF-8 becomes one \\ufffd escape per invalid byte, as in Go', () => {
  const inputs = ['ff', '61c3', 'eda080', 'f4908080', 'e08080', 'c0af', '6f6be280', 'f09f98', 'e280a878'];
  inputs.forEach((hex, i) => {
    assert.equal(goEncodeLine(new GoBytes(Buffer.from(hex, 'hex')), HTML), go(`invalid_${i}`), `case ${hex}`);
  });
});

test('floats (including -0), 64-bit integers', () => {
  const floats = [-0, 0, 1e21, 1e20, 1e-7, 1e-6, 123.456, 5e-324, 1.7976931348623157e308, 0.1, 100, -2.5e-8];
  assert.equal(goEncodeLine(floats, HTML), go('floats'));
  assert.equal(goEncodeLine([0n, 18446744073709551615n], HTML), go('uint64'));
  assert.equal(goEncodeLine([-9223372036854775808n, 9223372036854775807n], HTML), go('int64'));
  assert.throws(() => goMarshal(Number.NaN, HTML));
  assert.throws(() => goMarshal(Number.POSITIVE_INFINITY, HTML));
});

test('map keys are sorted by UTF-8 bytes, not UTF-16 or insertion order', () => {
  const m = new GoMap([['10', 1], ['2', 2], ['a', 3], ['b', 4], ['\uff61', 5], ['\u{1F600}', 6], ['B', 7], ['', 8]]);
  assert.equal(goEncodeLine(m, HTML), go('mapkeys'));
});

test('structs keep declaration order, omitempty, nil slices, raw messages, indentation', () => {
  const s: GoJson = {
    b: '<x>',
    a: undefined,
    n: 7n,
    f: -0.5,
    e: [],
    m: new GoMap([]),
    r: new GoRaw(' { "k" : [ 1 , "<&>\u2028" ] , "e" : { } } '),
    nil: null,
  };
  assert.equal(goEncodeLine(s, { escapeHTML: true, indent: true }), go('struct_indent_html'));
  assert.equal(goEncodeLine(s, { escapeHTML: false, indent: true }), go('struct_indent_nohtml'));
  assert.equal(goEncodeLine(s, HTML), go('struct_compact'));
  const nested = new GoMap([
    ['a', [new GoMap([]), [], [1, [2]]]],
    ['b', new GoMap([['c', null], ['d', true]])],
  ]);
  assert.equal(goEncodeLine(nested, { escapeHTML: true, indent: true }), go('nested_indent'));
  assert.equal(goMarshal(['x'], { escapeHTML: true, indent: true }), go('marshalindent_noline'));
});

test('property: valid strings survive an encode/parse round trip', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.boolean(), (s, html) => {
      const text = goMarshal(s, { escapeHTML: html, indent: false });
      assert.equal(parseJson(text), s);
      assert.equal(JSON.parse(text), s);
    }),
    { plugins: [fc.interruptAfterTimeLimit(2000)] },
  );
});

test('property: raw bytes encode to valid JSON whose text is the bytes when they are valid UTF-8', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      const text = goMarshal(new GoBytes(b), HTML);
      const back = JSON.parse(text) as string;
      if (isValidUtf8(b)) assert.deepEqual(Buffer.from(back, 'utf8'), Buffer.from(b));
    }),
    { plugins: [fc.interruptAfterTimeLimit(2000)] },
  );
});

test('reader keeps 64-bit integers exact and follows Go field rules', () => {
  const v = parseJson('{"N": 18446744073709551615, "n": 1, "x": [true, null, -0.5e3]}');
  assert.ok(!(v instanceof JsonNumber) && v !== null && typeof v === 'object' && !Array.isArray(v));
  const obj = v;
  assert.equal((obj.get('N') as JsonNumber).text, '18446744073709551615');
  assert.equal((obj.field('n') as JsonNumber).text, '1'); // last case-insensitive match wins
  assert.throws(() => parseJson('{"a":1} x'), /after top-level value/);
  assert.throws(() => parseJson('{"a":1'), /end|expected/);
  assert.equal(parseJson('"\\ud800"'), '\ufffd');
  assert.equal(parseJson('"\\ud83d\\ude00"'), '\u{1F600}');
});

test('integer readers: Go literals only, exact at the bounds of each width', () => {
  const num = (t: string): JsonNumber => new JsonNumber(t);
  assert.equal(readInt(num('9223372036854775807'), 'f'), (1n << 63n) - 1n);
  assert.equal(readInt(num('-9223372036854775808'), 'f'), -(1n << 63n));
  assert.equal(readInt(num('-0'), 'f'), 0n);
  assert.equal(readInt(num('-2147483648'), 'f', 32), -(1n << 31n));
  assert.equal(readUint(num('18446744073709551615'), 'f'), (1n << 64n) - 1n);
  assert.equal(readUint(num('4294967295'), 'f', 32), 0xffffffffn);
  assert.equal(readUint(null, 'f'), 0n);
  for (const [text, bits] of [['9223372036854775808', 64], ['-9223372036854775809', 64], ['2147483648', 32]] as const)
    assert.throws(() => readInt(num(text), 'f', bits), /overflows int/);
  assert.throws(() => readUint(num('18446744073709551616'), 'f'), /overflows uint64/);
  assert.throws(() => readUint(num('4294967296'), 'f', 32), /overflows uint32/);
  for (const text of ['01', '-01', '1.0', '1e3', '-', '', '+1', '1 '])
    assert.throws(() => readInt(num(text), 'f'), JsonTypeError, text);
  for (const text of ['-1', '-0', '00', '1.5']) assert.throws(() => readUint(num(text), 'f'), JsonTypeError, text);
  assert.throws(() => readInt('1', 'f'), /cannot unmarshal string/);
});

test('property: raw messages are compacted as Go does, escaping HTML characters only inside strings', () => {
  const escapeHtml = (s: string): string =>
    s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  fc.assert(
    fc.property(fc.jsonValue(), fc.constantFrom(0, 1, 2, '\t'), (v, space) => {
      const compact = JSON.stringify(v);
      const raw = new GoRaw(` ${JSON.stringify(v, null, space)}\n`);
      assert.equal(goEncodeLine(raw, PLAIN), `${compact}\n`);
      assert.equal(goEncodeLine(raw, HTML), `${escapeHtml(compact)}\n`);
    }),
  );
});

test('reader keeps number literals and raw values as written, and refuses malformed numbers', () => {
  const v = parseJson('[1e+5, -0, 0.25E-2, 123456789012345678901234567890]');
  assert.ok(Array.isArray(v));
  assert.deepEqual(v.map((n) => (n as JsonNumber).text), ['1e+5', '-0', '0.25E-2', '123456789012345678901234567890']);
  for (const bad of ['1.', '1e', '1e+', '-', '01', '-a', '.5', '1.e5'])
    assert.throws(() => parseJson(bad), /invalid|after top-level value|end of JSON/, bad);
  const o = parseJson('{"a": {"x" : [1, 2]}, "A":"s\\u0041", "n": -1.5e-3 }');
  assert.ok(o instanceof JsonObject);
  assert.equal(o.rawField('a'), '"s\\u0041"'); // last case-insensitive match
  assert.equal(o.raw(0), '{"x" : [1, 2]}');
  assert.equal(o.rawField('n'), '-1.5e-3');
  assert.equal(o.rawField('missing'), undefined);
});

test('property: indentation is json.Indent of the compact form (JSON.stringify with two spaces for plain JSON)', () => {
  // Integer-like keys aside (JavaScript reorders them), JSON.stringify(v, null, 2) indents as Go's MarshalIndent,
  // and goMarshal of a parsed value re-creates the compact text (map keys of a struct keep their order).
  const plain = fc.jsonValue().filter((v) => !JSON.stringify(v).match(/"\d+":/));
  fc.assert(
    fc.property(plain, (v) => {
      const raw = new GoRaw(JSON.stringify(v));
      assert.equal(goMarshal(raw, PLAIN), JSON.stringify(v));
      assert.equal(goMarshal(raw, { escapeHTML: false, indent: true }), JSON.stringify(v, null, 2));
    }),
    { plugins: [fc.interruptAfterTimeLimit(3000)] },
  );
});

test('property: map keys sort by their UTF-8 bytes', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ unit: 'binary' }), { maxLength: 12 }), (keys) => {
      const want = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const expected = `{${want.map((k) => `${goMarshal(k, PLAIN)}:0`).join(',')}}`;
      assert.equal(goMarshal(new GoMap(keys.map((k) => [k, 0])), PLAIN), expected);
    }),
    { plugins: [fc.interruptAfterTimeLimit(2000)] },
  );
});
