import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { sortableFloat64 } from '../../../src/adapters/redis/collections-encode.ts';
import { Gather } from '../../../src/adapters/redis/collections-render.ts';
import { redisAdapter } from '../../../src/adapters/redis/index.ts';
import { RedisProtoError, readStreamEntry, streamFieldSpans, writeStreamEntry } from '../../../src/adapters/redis/proto.ts';
import { isEkvError } from '../../../src/errors.ts';
import type { FileSink } from '../../../src/tree/writer.ts';
import { buildFsm } from '../../helpers/fsm.ts';
import { decodeWith, encodeWith, readTree, rowsOf, treeWith } from '../../helpers/adapter-harness.ts';
import { COLLECTION_ROWS } from './collection-rows.ts';

const adapters = [redisAdapter];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('sortable float64 and stream envelopes: the spec\'s worked bytes', () => {
  const cases: Array<[number, string]> = [
    [1.5, 'bff8000000000000'],
    [-3.25, '3ff5ffffffffffff'],
    [0, '8000000000000000'],
    [-0, '8000000000000000'],
    [Infinity, 'fff0000000000000'],
    [-Infinity, '000fffffffffffff'],
    [100, 'c059000000000000'],
  ];
  for (const [x, want] of cases) assert.equal(hex(sortableFloat64(x)), want, String(x));
  assert.equal(hex(writeStreamEntry('1-0', [Buffer.from('f'), Buffer.from('v')])), '00525845010a03312d3012016612017' + '6');
  assert.equal(hex(writeStreamEntry('', [Buffer.alloc(0)])), '00525845011200');
});

test('property: the stream entry fast path reads what protobuf-go\'s rules read, or leaves the body to them', () => {
  const field = fc.oneof(
    fc.string({ maxLength: 8 }).map((s) => Buffer.from(s, 'utf8')),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    // Valid text of 128 bytes or more: a two-byte length, after which fields are checked one by one.
    fc.string({ minLength: 128, maxLength: 160 }).map((s) => Buffer.from(s, 'utf8')),
  );
  const written = fc
    .tuple(fc.string({ maxLength: 6 }), fc.array(field, { maxLength: 6 }))
    .map(([id, fs]) => writeStreamEntry(id, fs).subarray(5));
  const body = fc.oneof(
    written,
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
    written.chain((w) => fc.nat(w.length).map((n) => w.subarray(0, n))),
  );
  fc.assert(
    fc.property(body, fc.boolean(), (b, checkUtf8) => {
      const spans: number[] = [];
      if (!streamFieldSpans(b, spans, checkUtf8)) return;
      let fields: Buffer[];
      try {
        fields = readStreamEntry(b);
      } catch (err) {
        assert.ok(err instanceof RedisProtoError && !checkUtf8, `fast path took a body the full reader refuses: ${hex(b)}`);
        return;
      }
      const got = [];
      for (let i = 0; i < spans.length; i += 2) got.push(hex(b.subarray(spans[i], spans[i + 1])));
      assert.deepEqual(got, fields.map(hex));
    }),
    { numRuns: 2000 },
  );
  // The usual shape is taken; another field number or wire type is left to the full reader.
  const spans: number[] = [];
  const invalidThenLong = writeStreamEntry('1-0', [Buffer.from([0xc3]), Buffer.alloc(200, 0x61)]).subarray(5);
  assert.equal(streamFieldSpans(invalidThenLong, spans, true), false, 'a bad field before a long one is seen');
  assert.equal(streamFieldSpans(writeStreamEntry('1-0', [Buffer.from('f'), Buffer.from('v')]).subarray(5), spans, true), true);
  assert.deepEqual(spans, [7, 8, 10, 11]);
  assert.equal(streamFieldSpans(Buffer.from('1a0161', 'hex'), spans, true), false);
  assert.equal(streamFieldSpans(Buffer.from('0801', 'hex'), spans, true), false);
  assert.equal(streamFieldSpans(Buffer.from('1201ff', 'hex'), spans, true), false);
});

test('property: a stream id\'s u64 is written in decimal as BigInt#toString writes it, below 2^53 and above', () => {
  const written: Buffer[] = [];
  const sink: FileSink = {
    bytes: 0,
    write: async () => undefined,
    writeNow: (b) => {
      written.push(Buffer.from(b));
    },
    flush: async () => undefined,
    close: async () => undefined,
  };
  const g = new Gather();
  g.sink = sink;
  const u64 = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc.bigInt({ min: 0n, max: 2n ** 53n + 5n }),
    fc.constantFrom(0n, 9n, 10n, 99n, 100n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n),
  );
  fc.assert(
    fc.property(u64, u64, (ms, seq) => {
      const id = Buffer.alloc(16);
      id.writeBigUInt64BE(ms, 0);
      id.writeBigUInt64BE(seq, 8);
      written.length = 0;
      g.u64Decimal(id, 0);
      g.ascii('-');
      g.u64Decimal(id, 8);
      g.drain();
      assert.equal(Buffer.concat(written).toString('latin1'), `${ms}-${seq}`);
    }),
    { numRuns: 2000 },
  );
});

test('decode: every collection type, TTL precedence, legacy zset blobs, orphan streams and TTLs', async () => {
  const warnings: string[] = [];
  const { tree } = await decodeWith(adapters, buildFsm(1000n, COLLECTION_ROWS), { warn: (e) => warnings.push(e) });
  const f = await readTree(join(tree, 'redis/db_0'));
  const json = (p: string): Record<string, unknown> => JSON.parse(f.get(p)!.toString()) as Record<string, unknown>;
  assert.equal(
    f.get('hashes/user%3A42.json')?.toString(),
    '{\n  "format_version": 1,\n  "fields": [\n    {\n      "name": "",\n      "value": "\\u003cempty name\\u003e"\n    },\n    {\n      "name": "age",\n      "value": "30"\n    },\n    {\n      "name": "blob",\n      "value": {\n        "base64": "gP8B"\n      }\n    }\n  ],\n  "expire_at_ms": 1788998400000\n}',
  );
  assert.equal(json('hashes/legacy-hash.json').expire_at_ms, 1788998400002, 'legacy 8-byte meta: the scan-index TTL applies');
  assert.equal(f.get('hashes/empty-hash.json')?.toString(), '{\n  "format_version": 1,\n  "fields": [],\n  "expire_at_ms": null\n}');
  assert.deepEqual(json('lists/q.json').items, ['a', 'b', { base64: '_w' }]);
  assert.equal(json('lists/q.json').expire_at_ms, 1788998400001);
  assert.equal(json('lists/l2.json').expire_at_ms, 1788998400003);
  assert.deepEqual(json('sets/s.json'), { format_version: 1, members: ['m1', 'm2'], expire_at_ms: 1788998400004 });
  assert.deepEqual(json('sets/s0.json').members, [{ base64: 'wyg' }]);
  assert.equal(json('sets/s0.json').expire_at_ms, null, 'an inline expiry of 0 means no TTL');
  assert.deepEqual(json('zsets/z-legacy.json'), { format_version: 1, members: [{ member: 'alice', score: 3 }, { member: 'bob', score: 2.5 }], expire_at_ms: 1788998400005 });
  const zw = f.get('zsets/zw.json')!.toString();
  assert.ok(zw.includes('"score": "-inf"') && zw.includes('"score": "+inf"') && zw.includes('"score": -0') && zw.includes('"score": 1.5e-7') && !zw.includes('stale'), zw);
  assert.equal(
    f.get('streams/events.jsonl')?.toString(),
    '{"id":"1714400000000-0","fields":[{"name":"event","value":"login"},{"name":"user","value":"alice"}]}\n{"id":"1714400000001-5","fields":[{"name":"f","value":"v1"},{"name":"f","value":"v2"}]}\n{"_meta":true,"length":2,"last_ms":1714400000001,"last_seq":5,"expire_at_ms":null}\n',
  );
  assert.ok(!f.has('streams/orphan.jsonl'));
  assert.ok(f.get('KEYMAP.jsonl')?.toString().includes('"kind":"sha-fallback"'));
  assert.deepEqual(warnings.sort(), ['redis_hash_length_mismatch', 'redis_orphan_ttl', 'redis_stream_orphan_entries_without_meta']);
});

test('malformed element rows are data errors naming the key and the reason', async () => {
  const lp = (prefix: string, k: string, ...tail: Buffer[]): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(k.length);
    return Buffer.concat([Buffer.from(prefix), len, Buffer.from(k), ...tail]);
  };
  const score = (x: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    return b;
  };
  const entry = writeStreamEntry('1-1', [Buffer.from('f'), Buffer.from('v')]);
  const id = Buffer.alloc(16);
  const cases: Array<[Buffer, Buffer, string, RegExp]> = [
    [lp('!zs|mem|', 'z').subarray(0, 10), score(1), 'REDIS_INVALID_KEY', /malformed !zs\| key: member key/],
    [lp('!zs|mem|', 'z', Buffer.from('m')), Buffer.alloc(4), 'REDIS_INVALID_ZSET_MEMBER', /length 4 != 8/],
    [lp('!zs|mem|', 'z', Buffer.from('m')), score(NaN), 'REDIS_INVALID_ZSET_MEMBER', /NaN score for member of user key "z" \(length 1\)/],
    [Buffer.from('!lst|itm|1234567'), Buffer.from('x'), 'REDIS_INVALID_KEY', /malformed !lst\| key: item key/],
    [lp('!stream|entry|', 's', id.subarray(0, 15)), entry, 'REDIS_INVALID_KEY', /malformed !stream\| key: entry key/],
    [lp('!stream|entry|', 's', id), entry.subarray(0, 4), 'REDIS_INVALID_STREAM_ENTRY', /missing or corrupt magic prefix/],
    [lp('!stream|entry|', 's', id), writeStreamEntry('1-1', [Buffer.from('f')]), 'REDIS_INVALID_STREAM_ENTRY', /odd field count 1/],
    [lp('!stream|entry|', 's', id), writeStreamEntry('1-1', [Buffer.from([0xff]), Buffer.from('v')]), 'REDIS_INVALID_STREAM_ENTRY', /contains invalid UTF-8/],
    [lp('!stream|entry|', 's', id), Buffer.concat([entry.subarray(0, 5), Buffer.from('12', 'hex')]), 'REDIS_INVALID_STREAM_ENTRY', /unmarshal: /],
  ];
  for (const [key, value, code, message] of cases) {
    await assert.rejects(
      decodeWith(adapters, buildFsm(100n, [{ key, value }])),
      (err: unknown) => isEkvError(err) && err.code === code && message.test(err.message),
      `${hex(key)} ${hex(value)}`,
    );
  }
});

test('encode equals the reference encoder\'s bytes (fixture); canonical trees round-trip with the self-test', async () => {
  const fixture = await fsp.readFile(new URL('../../fixtures/conformance/redis/redis.fsm', import.meta.url));
  const { tree } = await decodeWith(adapters, fixture);
  const { fsm, result } = await encodeWith(adapters, tree, { selfTest: true });
  assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
  assert.deepEqual(fsm, fixture);
  const rows = new Map((await rowsOf(fsm)).map(([k, v]) => [k.toString('latin1'), v]));
  assert.equal(hex(rows.get('!lst|meta|q')!), '0000000000000000' + '0000000000000003' + '0000000000000003' + '000001a0889d3801');
  assert.equal(rows.get('!redis|ttl|q')?.readBigUInt64BE(0), 1788998400001n);
  assert.ok(rows.has(`!zs|scr|\u0000\u0000\u0000\u0002zw${Buffer.from('bff8000000000000', 'hex').toString('latin1')}m`));
});

const dbTree = (files: Readonly<Record<string, string | Buffer>>): Promise<string> => treeWith(adapters, 'redis/db_0', files);

test('encode rejections name the file and the reason', async () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['bad JSON', { 'hashes/h.json': '{"format_version":1,"fields":[' }, /hashes\/h\.json: .*unexpected end/],
    ['format version', { 'sets/s.json': '{"format_version":2,"members":[]}' }, /unsupported format_version 2/],
    ['duplicate field', { 'hashes/h.json': '{"format_version":1,"fields":[{"name":"a","value":"1"},{"name":"a","value":"2"}]}' }, /duplicate field "a"/],
    ['duplicate member', { 'sets/s.json': '{"format_version":1,"members":["x","x"]}' }, /duplicate member "x"/],
    ['duplicate zset member', { 'zsets/z.json': '{"format_version":1,"members":[{"member":"m","score":1},{"member":"m","score":2}]}' }, /duplicate member "m"/],
    ['expiry not an integer', { 'lists/l.json': '{"format_version":1,"items":[],"expire_at_ms":1.5}' }, /expire_at_ms/],
    ['negative expiry', { 'lists/l.json': '{"format_version":1,"items":[],"expire_at_ms":-1}' }, /expire_at_ms/],
    ['bad base64', { 'sets/s.json': '{"format_version":1,"members":[{"base64":"a+b"}]}' }, /illegal base64/],
    ['null member', { 'sets/s.json': '{"format_version":1,"members":[null]}' }, /neither a string nor a base64 envelope/],
    ['bad score', { 'zsets/z.json': '{"format_version":1,"members":[{"member":"m","score":"inf"}]}' }, /score/],
    ['stream without meta', { 'streams/s.jsonl': '{"id":"1-0","fields":[]}\n' }, /missing _meta line/],
    ['stream length', { 'streams/s.jsonl': '{"_meta":true,"length":2,"last_ms":1,"last_seq":0}\n{"id":"1-0","fields":[]}\n' }, /length 2 disagrees with 1 parsed entries/],
    ['stream behind', { 'streams/s.jsonl': '{"id":"5-0","fields":[]}\n{"_meta":true,"length":1,"last_ms":1,"last_seq":0}\n' }, /is behind max entry 5-0/],
    ['stream id', { 'streams/s.jsonl': '{"id":"15","fields":[]}\n' }, /missing '-'/],
    ['two metas', { 'streams/s.jsonl': '{"_meta":true}\n{"_meta":true}\n' }, /multiple _meta lines/],
    ['stream bad line', { 'streams/s.jsonl': '{"_meta":true,"length":0}\n{"id":\n' }, /s\.jsonl:2: /],
    ['name that does not decode', { 'hashes/a%zz.json': '{"format_version":1}' }, /invalid encoded filename segment/],
  ];
  for (const [name, files, re] of cases) {
    const tree = await dbTree(files);
    await assert.rejects(encodeWith(adapters, tree), (e: unknown) => isEkvError(e) && e.exitClass === 'data' && re.test(e.message), name);
  }
});

const bytes = fc.oneof(fc.string({ maxLength: 6 }).map((s) => Buffer.from(s, 'utf8')), fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b)));
const keyArb = fc.oneof(fc.stringMatching(/^[a-z]{1,6}$/).map((s) => Buffer.from(s)), fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(b)), fc.constant(Buffer.from('k'.repeat(250))));
const ttl = fc.option(fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }), { nil: undefined });
const uniq = <T>(arr: readonly T[], id: (t: T) => string): T[] => [...new Map(arr.map((x) => [id(x), x])).values()];

test('property: generated databases of every type survive .fsm → tree → .fsm', async () => {
  const db = fc.record({
    hashes: fc.array(fc.tuple(keyArb, fc.array(fc.tuple(bytes, bytes), { maxLength: 4 }), ttl), { maxLength: 3 }),
    sets: fc.array(fc.tuple(keyArb, fc.array(bytes, { maxLength: 4 }), ttl), { maxLength: 3 }),
    lists: fc.array(fc.tuple(keyArb, fc.array(bytes, { maxLength: 4 }), ttl), { maxLength: 3 }),
    zsets: fc.array(
      fc.tuple(
        keyArb,
        fc.array(fc.tuple(bytes, fc.oneof(fc.double({ noNaN: true }), fc.constant(-0))), { maxLength: 4 }),
        ttl,
      ),
      { maxLength: 3 },
    ),
    streams: fc.array(
      fc.tuple(
        keyArb,
        fc.array(fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })), { maxLength: 2 }), {
          maxLength: 3,
        }),
        ttl,
      ),
      { maxLength: 2 },
    ),
  });
  await fc.assert(
    fc.asyncProperty(db, async (d) => {
      const files: Record<string, string> = {};
      const used = new Set<string>();
      const name = (k: Buffer): string | undefined => {
        const id = k.toString('hex');
        if (used.has(id) || k.length > 200) return undefined;
        used.add(id);
        let out = '';
        for (const b of k) out += /[A-Za-z0-9._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
        return out.startsWith('b64.') || /^[0-9a-fA-F]{32}__/.test(out) ? undefined : out;
      };
      const bin = (b: Buffer): unknown => (Buffer.from(b.toString('utf8'), 'utf8').equals(b) ? b.toString('utf8') : { base64: b.toString('base64url') });
      const exp = (t: bigint | undefined): string => (t === undefined ? 'null' : t.toString());
      for (const [k, fields, t] of d.hashes) {
        const n = name(k);
        if (n !== undefined) files[`hashes/${n}.json`] = `{"format_version":1,"fields":${JSON.stringify(uniq(fields, ([f]) => f.toString('hex')).map(([a, b]) => ({ name: bin(a), value: bin(b) })))},"expire_at_ms":${exp(t)}}`;
      }
      for (const [k, members, t] of d.sets) {
        const n = name(k);
        if (n !== undefined) files[`sets/${n}.json`] = `{"format_version":1,"members":${JSON.stringify(uniq(members, (m) => m.toString('hex')).map(bin))},"expire_at_ms":${exp(t)}}`;
      }
      for (const [k, items, t] of d.lists) {
        const n = name(k);
        if (n !== undefined) files[`lists/${n}.json`] = `{"format_version":1,"items":${JSON.stringify(items.map(bin))},"expire_at_ms":${exp(t)}}`;
      }
      for (const [k, members, t] of d.zsets) {
        const n = name(k);
        const score = (x: number): string => (x === Infinity ? '"+inf"' : x === -Infinity ? '"-inf"' : Object.is(x, -0) ? '-0' : String(x));
        if (n !== undefined) files[`zsets/${n}.json`] = `{"format_version":1,"members":[${uniq(members, ([m]) => m.toString('hex')).map(([m, x]) => `{"member":${JSON.stringify(bin(m))},"score":${score(x)}}`).join(',')}],"expire_at_ms":${exp(t)}}`;
      }
      for (const [k, entries, t] of d.streams) {
        const n = name(k);
        if (n === undefined) continue;
        const lines = entries.map((fields, i) => JSON.stringify({ id: `${i + 1}-0`, fields: fields.map(([a, b]) => ({ name: a, value: b })) }));
        lines.push(`{"_meta":true,"length":${entries.length},"last_ms":${entries.length},"last_seq":0,"expire_at_ms":${exp(t)}}`);
        files[`streams/${n}.jsonl`] = `${lines.join('\n')}\n`;
      }
      const tree = await dbTree(files);
      const first = await encodeWith(adapters, tree);
      const decoded = await decodeWith(adapters, first.fsm);
      const { fsm, result } = await encodeWith(adapters, decoded.tree, { selfTest: true });
      assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
      assert.deepEqual(fsm, first.fsm);
    }),
    { numRuns: 30, plugins: [fc.interruptAfterTimeLimit(25_000)] },
  );
});

test('a database of many files (read ahead off the main thread) encodes to what decodes back to it', async () => {
  const files: Record<string, string | Buffer> = {};
  const ttls: string[] = [];
  for (let i = 0; i < 700; i++) {
    const n = String(i).padStart(3, '0');
    files[`strings/s${n}.bin`] = i === 350 ? Buffer.alloc(70_000, n) : `string ${n}`;
    files[`hll/h${n}.bin`] = `hll ${n}`;
    if (i % 3 === 0) ttls.push(`{"key":"h${n}","expire_at_ms":${1_000_000 + i}}`);
    if (i < 400) files[`hashes/k${n}.json`] = `{"format_version":1,"fields":[{"name":"f","value":"${n}"}],"expire_at_ms":null}`;
    if (i < 300) files[`sets/m${n}.json`] = `{"format_version":1,"members":["${n}"],"expire_at_ms":${i % 2 === 0 ? 'null' : 5_000_000 + i}}`;
  }
  files['hll_ttl.jsonl'] = `${ttls.join('\n')}\n`;
  files['streams/st.jsonl'] = '{"id":"1-0","fields":[{"name":"a","value":"b"}]}\n{"_meta":true,"length":1,"last_ms":1,"last_seq":0,"expire_at_ms":null}\n';
  const tree = await dbTree(files);
  const first = await encodeWith(adapters, tree);
  assert.equal(first.result.rows, 700 + 700 + 234 + 400 * 2 + 300 * 2 + 150 + 2);
  const decoded = await decodeWith(adapters, first.fsm);
  const back = await readTree(join(decoded.tree, 'redis/db_0'));
  assert.equal(back.get('strings/s350.bin')?.length, 70_000);
  assert.equal(back.get('hll/h699.bin')?.toString(), 'hll 699');
  assert.match(back.get('hashes/k399.json')?.toString() ?? '', /"value": "399"/);
  const { fsm, result } = await encodeWith(adapters, decoded.tree, { selfTest: true });
  assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
  assert.deepEqual(fsm, first.fsm);

  await fsp.writeFile(join(tree, 'redis/db_0/hashes/k390.json'), '{"format_version":1,"fields":[');
  await assert.rejects(encodeWith(adapters, tree), (e: unknown) => isEkvError(e) && /hashes\/k390\.json: .*unexpected end/.test(e.message));
});
