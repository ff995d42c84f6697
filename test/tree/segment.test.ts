// Segment encoding (core.md §3.2): golden values from the spec's worked facts, and property tests.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  SegmentError,
  decodeSegment,
  encodeBinarySegment,
  encodeSegment,
  isShaFallback,
  shaFallback,
} from '../../src/tree/segment.ts';

const b = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const u = (s: string): Uint8Array => Buffer.from(s, 'utf8');

test('unreserved bytes pass through; everything else is %HH upper-case, byte by byte', () => {
  assert.equal(encodeSegment(u('Az09-._')), 'Az09-._');
  assert.equal(encodeSegment(u('a b/c~')), 'a%20b%2Fc%7E');
  assert.equal(encodeSegment(u('é')), '%C3%A9');
  assert.equal(encodeSegment(new Uint8Array([0, 0xff])), '%00%FF');
  assert.equal(encodeSegment(u('')), '');
  assert.equal(encodeSegment(u('.')), '.');
  assert.equal(encodeSegment(u('..')), '..');
  assert.equal(encodeSegment(u('%41')), '%2541', 'not idempotent: % is escaped again');
});

test('240 is the limit: 240 plain bytes or 80 escaped bytes pass, one more falls back', () => {
  assert.equal(encodeSegment(b('a'.repeat(240))), 'a'.repeat(240));
  const over = b('a'.repeat(241));
  assert.equal(encodeSegment(over), shaFallback(over));
  assert.equal(encodeSegment(b(' '.repeat(80))), '%20'.repeat(80));
  const escaped81 = b(' '.repeat(81));
  assert.ok(isShaFallback(encodeSegment(escaped81)));
});

test('the SHA fallback: 32 lower-case hex of SHA-256, "__", percent-encoding of the first 64 bytes', () => {
  const raw = b('x'.repeat(300));
  const hex = createHash('sha256').update(raw).digest('hex').slice(0, 32);
  assert.equal(shaFallback(raw), `${hex}__${'x'.repeat(64)}`);
  const worst = new Uint8Array(500).fill(0xff);
  assert.equal(shaFallback(worst).length, 226);
});

test('fallback-shaped or b64.-prefixed encodings are forced through the fallback', () => {
  const shaped = b(`${'a'.repeat(32)}__tail`);
  assert.equal(encodeSegment(shaped), shaFallback(shaped));
  const upper = b(`${'A'.repeat(32)}__`);
  assert.equal(encodeSegment(upper), shaFallback(upper));
  assert.equal(encodeSegment(b('b64.abc')), shaFallback(b('b64.abc')));
  // Not fallback-shaped: 31 hex digits before "__", or 32 hex digits and a single "_".
  assert.equal(encodeSegment(b(`${'a'.repeat(31)}__x`)), `${'a'.repeat(31)}__x`);
  assert.equal(encodeSegment(b(`${'a'.repeat(32)}_x`)), `${'a'.repeat(32)}_x`);
});

test('binary segments: b64. + base64url without padding up to 177 bytes, fallback from 178', () => {
  assert.equal(encodeBinarySegment(new Uint8Array()), 'b64.');
  assert.equal(encodeBinarySegment(new Uint8Array([0xfb, 0xff])), 'b64.-_8');
  const at177 = new Uint8Array(177).fill(7);
  assert.ok(encodeBinarySegment(at177).startsWith('b64.'));
  assert.ok(encodeBinarySegment(at177).length <= 240);
  const at178 = new Uint8Array(178).fill(7);
  assert.equal(encodeBinarySegment(at178), shaFallback(at178));
});

test('decodeSegment: errors for over-long, fallback-shaped (needs KEYMAP), bad escapes, reserved bytes, bad base64', () => {
  assert.deepEqual(Buffer.from(decodeSegment('a%2fb%2F')), Buffer.from('a/b/'));
  assert.deepEqual(Buffer.from(decodeSegment('b64.-_8')), Buffer.from([0xfb, 0xff]));
  const cases: [string, boolean][] = [
    ['a'.repeat(241), false],
    [`${'0'.repeat(32)}__x`, true],
    ['%4', false],
    ['%G0', false],
    ['a b', false],
    ['a~', false],
    ['b64.a', false],
    ['b64.ab==', false],
  ];
  for (const [seg, keymap] of cases) {
    assert.throws(
      () => decodeSegment(seg),
      (err: unknown) => err instanceof SegmentError && err.needsKeymap === keymap,
      seg,
    );
  }
});

test('property: never over 240 bytes, and reversible unless it took the fallback', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (raw) => {
      const seg = encodeSegment(raw);
      assert.ok(Buffer.byteLength(seg) <= 240);
      assert.match(seg, /^[A-Za-z0-9._%-]*$/);
      if (isShaFallback(seg)) {
        assert.throws(() => decodeSegment(seg), (e: unknown) => e instanceof SegmentError && e.needsKeymap);
        assert.equal(seg, shaFallback(raw));
      } else {
        assert.deepEqual(Buffer.from(decodeSegment(seg)), Buffer.from(raw));
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: binary segments are reversible and bounded', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 260 }), (raw) => {
      const seg = encodeBinarySegment(raw);
      assert.ok(seg.length <= 240);
      if (raw.length <= 177) assert.deepEqual(Buffer.from(decodeSegment(seg)), Buffer.from(raw));
      else assert.ok(isShaFallback(seg));
    }),
    { numRuns: 1000 },
  );
});
