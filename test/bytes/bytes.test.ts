// Shared byte helpers: ordered key segments, big-endian fields, Go %q quoting, range comparison.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeStdBase64, encodeStdBase64 } from '../../src/bytes/base64-std.ts';
import { f64be, i64be, sortableI64be, u32be, u64be } from '../../src/bytes/big-endian.ts';
import { compareBytes } from '../../src/bytes/compare.ts';
import { goQuote } from '../../src/bytes/go-quote.ts';
import { encodeOrderedSegment, readOrderedSegment } from '../../src/bytes/ordered-segment.ts';

const sign = (n: number): number => Math.sign(n);
const bytes = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
const zeroHeavy = fc.array(fc.constantFrom(0, 1, 0xff), { maxLength: 12 }).map((a) => Buffer.from(a));
const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });

test('ordered segment: 00 escaped as 00 FF, terminated by 00 01', () => {
  assert.equal(encodeOrderedSegment(Buffer.from([0x61, 0, 0x62])).toString('hex'), '6100ff620001');
  assert.equal(encodeOrderedSegment(new Uint8Array()).toString('hex'), '0001');
  assert.deepEqual(readOrderedSegment(Buffer.from('7800ff000178', 'hex'), 0), { raw: Buffer.from([0x78, 0]), end: 5 });
  assert.equal(readOrderedSegment(Buffer.from('780002', 'hex'), 0), undefined, 'a 00 followed by neither FF nor 01');
  assert.equal(readOrderedSegment(Buffer.from('7800ff', 'hex'), 0), undefined, 'no terminator');
  assert.equal(readOrderedSegment(Buffer.from('7800', 'hex'), 0), undefined, 'a trailing 00');
});

test('ordered segment: reads back what it wrote, from any offset, and keeps byte order', () => {
  fc.assert(
    fc.property(fc.oneof(bytes, zeroHeavy), fc.oneof(bytes, zeroHeavy), bytes, (a, b, lead) => {
      const ea = encodeOrderedSegment(a);
      const seg = readOrderedSegment(Buffer.concat([lead, ea, b]), lead.length);
      assert.deepEqual(seg, { raw: a, end: lead.length + ea.length });
      assert.equal(sign(Buffer.compare(ea, encodeOrderedSegment(b))), sign(Buffer.compare(a, b)));
    }),
  );
});

test('big-endian fields', () => {
  assert.equal(u32be(0x01020304).toString('hex'), '01020304');
  assert.equal(u64be(0x0102030405060708n).toString('hex'), '0102030405060708');
  assert.throws(() => u64be(1n << 64n), RangeError);
  assert.throws(() => u64be(-1n), RangeError);
  assert.throws(() => u32be(2 ** 32), RangeError);
  assert.equal(i64be(-1n).toString('hex'), 'ffffffffffffffff');
  assert.equal(sortableI64be(0n).toString('hex'), '8000000000000000');
  assert.equal(sortableI64be(-(1n << 63n)).toString('hex'), '0000000000000000');
  assert.equal(f64be(1).toString('hex'), '3ff0000000000000');
  fc.assert(
    fc.property(int64, int64, (a, b) => {
      assert.equal(i64be(a).readBigInt64BE(0), a);
      assert.equal(sign(Buffer.compare(sortableI64be(a), sortableI64be(b))), a < b ? -1 : a > b ? 1 : 0);
    }),
  );
  fc.assert(fc.property(fc.double(), (x) => { assert.ok(Object.is(f64be(x).readDoubleBE(0), x)); }));
});

test("goQuote renders bytes as Go's %q does", () => {
  const cases: [Buffer, string][] = [
    [Buffer.from('plain key'), '"plain key"'],
    [Buffer.from('say "hi"\\'), '"say \\"hi\\"\\\\"'],
    [Buffer.from([7, 8, 9, 10, 11, 12, 13]), '"\\a\\b\\t\\n\\v\\f\\r"'],
    [Buffer.from([0, 0x1b, 0x7f]), '"\\x00\\x1b\\x7f"'],
    [Buffer.from([0xff, 0xc0, 0x80]), '"\\xff\\xc0\\x80"'],
    [Buffer.from('☺ é 😀', 'utf8'), '"☺ é 😀"'],
    [Buffer.from('\u00a0\u0085\u202e', 'utf8'), '"\\u00a0\\u0085\\u202e"'],
    [Buffer.from('\u{e0001}', 'utf8'), '"\\U000e0001"'],
    [Buffer.from([0xed, 0xa0, 0x80]), '"\\xed\\xa0\\x80"'],
    [Buffer.from([0xe2, 0x98]), '"\\xe2\\x98"'],
  ];
  for (const [input, want] of cases) assert.equal(goQuote(input), want, input.toString('hex'));
});

test('goQuote output is one line without control characters, and ASCII-printable input only gains escapes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      const q = goQuote(b);
      assert.doesNotMatch(q, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u);
      assert.ok(q.startsWith('"') && q.endsWith('"'));
    }),
  );
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...' azAZ09!#~'.split('')) }), (s) => {
      assert.equal(goQuote(Buffer.from(s, 'latin1')), `"${s}"`);
    }),
  );
});

test('compareBytes orders byte ranges as Buffer.compare does, short (JS loop) and long (native)', () => {
  const short = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
  const long = fc
    .tuple(fc.uint8Array({ minLength: 130, maxLength: 130 }), short)
    .map(([p, t]) => Buffer.concat([p, t]));
  const range = (b: Buffer): fc.Arbitrary<[Buffer, number, number]> =>
    fc.tuple(fc.nat(b.length), fc.nat(b.length)).map(([x, y]) => [b, Math.min(x, y), Math.max(x, y)]);
  const pair = fc.oneof(
    fc.tuple(short, short),
    long.chain((p) => fc.tuple(fc.constant(p), fc.nat(p.length).map((n) => Buffer.from(p.subarray(0, n))))),
  );
  fc.assert(
    fc.property(
      pair.chain(([a, b]) => fc.tuple(range(a), range(b))),
      ([[a, as, ae], [b, bs, be]]) => {
        const want = sign(Buffer.compare(a.subarray(as, ae), b.subarray(bs, be)));
        assert.equal(sign(compareBytes(a, as, ae, b, bs, be)), want);
        assert.equal(sign(compareBytes(b, bs, be, a, as, ae)), 0 - want);
      },
    ),
  );
  assert.ok(compareBytes(Buffer.from([0x80]), 0, 1, Buffer.from([0x7f]), 0, 1) > 0, 'unsigned bytes');
  assert.ok(compareBytes(Buffer.from('ab'), 0, 2, Buffer.from('abc'), 0, 3) < 0, 'a prefix first');
});

test("decodeStdBase64 takes what Go's StdEncoding takes, and only that", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      const text = Buffer.from(b).toString('base64');
      assert.deepEqual(decodeStdBase64(text), Buffer.from(b));
      assert.deepEqual(decodeStdBase64(text.replace(/(.{3})/g, '$1\r\n')), Buffer.from(b));
    }),
  );
  // Non-zero unused trailing bits are accepted (Go's default, non-strict decoding).
  assert.deepEqual(decodeStdBase64('QR=='), Buffer.from('A'));
  assert.deepEqual(decodeStdBase64('QUJ='), Buffer.from('AB'));
  for (const bad of ['QQ', 'QQ=', 'QUI', 'Q', '-_8=', 'QQ==QQ==', 'QQ== ', '=QQ='])
    assert.equal(decodeStdBase64(bad), undefined, bad);
});

test("encodeStdBase64 writes Go's StdEncoding text of exactly the array's bytes, a view of a larger buffer too", () => {
  // Go: base64.StdEncoding.EncodeToString([]byte{0xfb, 0xff}) == "+/8=", ([]byte("AB")) == "QUI=".
  assert.equal(encodeStdBase64(new Uint8Array([0xfb, 0xff])), '+/8=');
  assert.equal(encodeStdBase64(Buffer.from('AB')), 'QUI=');
  assert.equal(encodeStdBase64(new Uint8Array(0)), '');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(8), fc.nat(8), (b, before, after) => {
      const whole = new Uint8Array(before + b.length + after).fill(0xaa);
      whole.set(b, before);
      const text = encodeStdBase64(whole.subarray(before, before + b.length));
      assert.deepEqual(decodeStdBase64(text), Buffer.from(b));
    }),
  );
});
