import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { parseStreamValue, type StreamLine } from '../../../src/adapters/redis/collections-encode.ts';
import { STREAM_ENTRY_MAGIC, writeStreamEntry } from '../../../src/adapters/redis/proto.ts';
import { scanStreamEntry } from '../../../src/adapters/redis/stream-line.ts';
import { parseJsonValues } from '../../../src/json/go-json-read.ts';

/** What the generic path reads from a line: exactly one value, parsed by Go's rules, or the error it refuses with. */
function generic(line: Buffer): StreamLine | Error {
  try {
    const values = parseJsonValues(new TextDecoder().decode(line));
    if (values.length !== 1) return new Error(`${values.length} values`);
    return parseStreamValue(values[0] as Parameters<typeof parseStreamValue>[0]);
  } catch (err) {
    return err as Error;
  }
}

/** The scan's entry with plain copies of its fields, for deepEqual against the generic one. */
const plainEntry = (e: StreamLine): unknown =>
  e.kind === 'entry' ? { ...e, fields: e.fields.map((f) => Buffer.from(f)) } : e;

test('stream entry scan: the decoder\'s shape is scanned, and gives the generic path\'s entry', () => {
  const lines = [
    '{"id":"1700002870000-0","fields":[{"name":"event","value":"type-0"},{"name":"user","value":"user-1"}]}',
    '{"id":"1-0","fields":[]}',
    '{"id":"007-010","fields":[{"name":"","value":""}]}',
    '{"id":"999999999999999-999999999999999","fields":[{"name":" ~!#$%\'()*+,-./:;=?@[]^_`{|}","value":"x"}]}',
  ];
  for (const text of lines) {
    const line = Buffer.from(text);
    const scanned = scanStreamEntry(line);
    assert.ok(scanned !== undefined, text);
    assert.deepEqual(plainEntry(scanned), plainEntry(generic(line) as StreamLine), text);
  }
  const e = scanStreamEntry(Buffer.from(lines[2] as string));
  assert.ok(e !== undefined);
  assert.equal(e.id, '007-010');
  assert.equal(e.ms, 7n);
  assert.equal(e.seq, 10n);
});

test('stream entry scan: other lines are left to the generic path', () => {
  const lines = [
    '{"_meta":true,"length":1,"last_ms":1,"last_seq":0,"expire_at_ms":null}',
    '{"id": "1-0","fields":[]}',
    '{"id":"1-0","fields":[] }',
    ' {"id":"1-0","fields":[]}',
    '{"ID":"1-0","fields":[]}',
    '{"fields":[],"id":"1-0"}',
    '{"id":"1-0","fields":[],"x":1}',
    '{"id":"1-0","fields":null}',
    '{"id":"1-0"}',
    '{"id":"1-0","fields":[{"value":"v","name":"n"}]}',
    '{"id":"1-0","fields":[{"name":"n","value":{"base64":"_w"}}]}',
    '{"id":"1-0","fields":[{"name":"a\\"b","value":"v"}]}',
    '{"id":"1-0","fields":[{"name":"\\u003c","value":"v"}]}',
    '{"id":"1-0","fields":[{"name":"<","value":"v"}]}',
    '{"id":"1-0","fields":[{"name":"é","value":"v"}]}',
    '{"id":"1-0","fields":[{"name":"n","value":"v"},]}',
    '{"id":"1-0","fields":[{"name":"n","value":"v"}',
    '{"id":"1234567890123456-0","fields":[]}',
    '{"id":"0-1234567890123456","fields":[]}',
    '{"id":"-0","fields":[]}',
    '{"id":"1-","fields":[]}',
    '{"id":"1","fields":[]}',
    '{"id":"1-0-0","fields":[]}',
    '{"id":"1-0","fields":[]}{"id":"2-0","fields":[]}',
    '',
  ];
  for (const text of lines) assert.equal(scanStreamEntry(Buffer.from(text)), undefined, text);
});

test('property: on generated lines, scanned or not, the scan agrees with the generic path', () => {
  const plain = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '~', '-', '_', '{', '}', ':', ','), maxLength: 8 });
  const odd = fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.constantFrom('"', '\\', '<&>', 'é', '\u2028', '\x7f', '\x1f', '\ud800'),
  );
  const text = fc.oneof(
    { weight: 20, arbitrary: plain.map((s) => ({ s, clean: true })) },
    { weight: 1, arbitrary: odd.map((s) => ({ s, clean: false })) },
  );
  const digit = fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
  const digits = fc.integer({ min: 1, max: 15 }).chain((n) => fc.string({ unit: digit, minLength: n, maxLength: n }));
  const id = fc.oneof(
    { weight: 20, arbitrary: fc.tuple(digits, digits).map(([a, b]) => ({ s: `${a}-${b}`, clean: true })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('', '1', '-1', '1-', 'a-1', '1-1-1', '1234567890123456-0', '18446744073709551615-0', '18446744073709551616-1', '1 -0', '+1-0')
        .map((s) => ({ s, clean: false })),
    },
  );
  /** A JSON string of s: as it is between quotes (invalid JSON for some odd strings), or escaped by JSON.stringify. */
  const quoted = (s: string, raw: boolean): string => (raw ? `"${s}"` : JSON.stringify(s));
  const mutation = fc.constantFrom('', '', '', '', '', '', 'space', 'swap', 'upper', 'extra', 'trailing', 'meta', 'null-fields', 'envelope', 'comma');
  const line = fc.record({
    id,
    fields: fc.array(fc.tuple(text, text), { maxLength: 4 }),
    raw: fc.boolean(),
    mutation,
  });
  fc.assert(
    fc.property(line, ({ id: i, fields, raw, mutation: m }) => {
      const parts = fields.map(([n, v], k) => {
        const value = m === 'envelope' && k === 0 ? '{"base64":"AA"}' : quoted(v.s, raw);
        return m === 'swap' && k === 0 ? `{"value":${value},"name":${quoted(n.s, raw)}}` : `{"name":${quoted(n.s, raw)},"value":${value}}`;
      });
      const fieldsText = m === 'null-fields' ? 'null' : `[${parts.join(m === 'comma' ? ', ' : ',')}]`;
      let textLine = `{"${m === 'upper' ? 'Id' : 'id'}":${m === 'space' ? ' ' : ''}${quoted(i.s, raw)},"fields":${fieldsText}${m === 'extra' ? ',"x":1' : ''}}`;
      if (m === 'meta') textLine = `{"_meta":true,"length":${fields.length},"last_ms":1,"last_seq":0,"expire_at_ms":null}`;
      if (m === 'trailing') textLine += ' ';
      const buf = Buffer.from(textLine, 'utf8');
      const scanned = scanStreamEntry(buf);
      const clean = i.clean && fields.every(([n, v]) => n.clean && v.clean) && (m === '' || (m === 'envelope' && fields.length === 0) || (m === 'comma' && fields.length < 2));
      if (clean) assert.ok(scanned !== undefined, textLine);
      if (scanned === undefined) return;
      const want = generic(buf);
      if (want instanceof Error) assert.fail(`${textLine}: scanned, but the generic path refuses it: ${want.message}`);
      assert.deepEqual(plainEntry(scanned), plainEntry(want), textLine);
    }),
    { numRuns: 3000 },
  );
});

test('property: writeStreamEntry writes what protobuf-go (BinaryWriter) writes', () => {
  const oracle = (id: string, fields: readonly Uint8Array[]): Buffer => {
    const w = new BinaryWriter();
    if (id !== '') w.tag(1, WireType.LengthDelimited).string(id);
    for (const f of fields) w.tag(2, WireType.LengthDelimited).bytes(f);
    return Buffer.concat([STREAM_ENTRY_MAGIC, w.finish()]);
  };
  // Lengths around each varint size's edges (1 to 4 bytes), and random bytes.
  const edge = fc.constantFrom(127, 128, 16383, 16384, 2097151, 2097152, 2097153);
  const length = fc.oneof({ weight: 5, arbitrary: fc.nat(40000) }, { weight: 1, arbitrary: edge });
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 20 }), length.map((n) => Buffer.alloc(n, n & 0xff)));
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ minLength: 127, maxLength: 300 })), fc.array(bytes, { maxLength: 4 }), (id, fields) => {
      assert.deepEqual(writeStreamEntry(id, fields), oracle(id, fields));
    }),
    { numRuns: 300 },
  );
});
