import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { sqsAdapter } from '../../../src/adapters/sqs/index.ts';
import { msgByAgeKey, msgDataKey, msgDedupKey, msgVisKey, partitionForGroup, queueSeqKey } from '../../../src/adapters/sqs/keys.ts';
import { delayedUntil, renderDedupRecord, renderStoredMessage, type Message } from '../../../src/adapters/sqs/records.ts';
import { GoMap, GoRaw, goMarshal } from '../../../src/json/go-json.ts';
import { DEFAULT_DECODE_SWITCHES } from '../../../src/adapters/adapter.ts';
import { isEkvError } from '../../../src/errors.ts';
import { buildFsm } from '../../helpers/fsm.ts';
import { decodeWith, encodeWith, readTree, rowsOf, tempDir, treeWith } from '../../helpers/adapter-harness.ts';
import { be32, be64, dataKey, metaValue, msgValue, pDataKey, SQS_ROWS } from './rows.ts';

const adapters = [sqsAdapter];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const cat = (...p: Array<string | Buffer>): Buffer => Buffer.concat(p.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x)));

test('keys: golden bytes for every row family, classic and partitioned', () => {
  // "q" → cQ, "m" → bQ, "g" → Zw, "d" → ZA in base64url without padding.
  const classic = { partitioned: false } as const;
  const p2 = { partitioned: true, partition: 2 } as const;
  assert.equal(hex(msgDataKey('q', classic, 1n, 'm')), hex(cat('!sqs|msg|data|cQ', be64(1n), 'bQ')));
  assert.equal(hex(msgDataKey('q', p2, 1n, 'm')), hex(cat('!sqs|msg|data|p|cQ|', be32(2), be64(1n), 'bQ')));
  assert.equal(hex(msgVisKey('q', classic, 1n, 1500n, 'm')), hex(cat('!sqs|msg|vis|cQ', be64(1n), be64(1500n), 'bQ')));
  assert.equal(hex(msgVisKey('q', p2, 1n, -5n, 'm')), hex(cat('!sqs|msg|vis|p|cQ|', be32(2), be64(1n), be64(0n), 'bQ')), 'negative times clamp to 0');
  assert.equal(hex(msgByAgeKey('q', classic, 1n, 7n, 'm')), hex(cat('!sqs|msg|byage|cQ', be64(1n), be64(7n), 'bQ')));
  assert.equal(hex(msgDedupKey('q', classic, 1n, 'g', 'd')), hex(cat('!sqs|msg|dedup|cQ', be64(1n), 'ZA')), 'classic dedup keys carry no group');
  assert.equal(hex(msgDedupKey('q', p2, 1n, 'g', 'd')), hex(cat('!sqs|msg|dedup|p|cQ|', be32(2), be64(1n), 'Zw|ZA')));
  assert.equal(queueSeqKey('q').toString(), '!sqs|queue|seq|cQ');
});

test('partitionFor: FNV-1a 32 masked by the partition count (agrees with the reference on "a")', () => {
  // FNV-1a("a") = 0xe40c292c, FNV-1a("b") = 0xe70c2de5.
  assert.equal(partitionForGroup(4, false, 'a'), 0xe40c292c & 3);
  assert.equal(partitionForGroup(4, false, 'b'), 0xe70c2de5 & 3);
  assert.equal(partitionForGroup(32, false, 'b'), 0xe70c2de5 & 31);
  assert.equal(partitionForGroup(4, true, 'b'), 0, 'perQueue routes every group to partition 0');
  assert.equal(partitionForGroup(1, false, 'b'), 0);
  assert.equal(partitionForGroup(4, false, ''), 0);
});

const MSG: Message = {
  messageId: 'm<1>',
  body: Buffer.from('hi'),
  md5OfBody: 'md5',
  md5OfMessageAttributes: '',
  messageAttributes: new Map([['b', '{"v" : "<&>"}'], ['a', '1']]),
  senderId: '',
  sendTimestampMillis: 10n,
  availableAtMillis: 20n,
  visibleAtMillis: 30n,
  receiveCount: 4n,
  firstReceiveMillis: 5n,
  currentReceiptToken: Buffer.from('t'),
  queueGeneration: 7n,
  messageGroupId: 'g',
  messageDedupId: '',
  sequenceNumber: 0n,
  deadLetterSourceArn: '',
  partition: 1,
};

test('values: the stored message and dedup record as Go marshals them', () => {
  const want =
    '{"message_id":"m\\u003c1\\u003e","body":"aGk=","md5_of_body":"md5","message_attributes":{"a":1,"b":{"v":"\\u003c\\u0026\\u003e"}},' +
    '"send_timestamp_millis":10,"available_at_millis":20,"visible_at_millis":0,"receive_count":0,"current_receipt_token":null,' +
    '"queue_generation":1,"message_group_id":"g"}';
  assert.equal(renderStoredMessage(MSG, 1n).toString('latin1'), `\x00SM\x01${want}`);
  assert.equal(renderDedupRecord('m', 10n, 300010n, 0n).toString(), '{"message_id":"m","send_timestamp_ms":10,"expires_at_millis":300010}');
  assert.equal(renderDedupRecord('m', 10n, 300010n, 9n).toString(), '{"message_id":"m","send_timestamp_ms":10,"expires_at_millis":300010,"original_sequence":9}');
});

test('values: the hand-written stored message and dedup record are what goMarshal writes for their structs', () => {
  const specials = fc.constantFrom('<&>', '"\\', '\u2028', '\ud800x');
  const text = fc.oneof(fc.constant(''), fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }), specials);
  const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
  const uint64 = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
  const raw = fc.constantFrom('1', '{"v" : "<&>"}', '"x"', '[ 1, 2 ]');
  const attrs = fc.option(fc.array(fc.tuple(text, raw), { maxLength: 3 }), { nil: undefined });
  const message = fc.record({
    messageId: text,
    body: fc.uint8Array({ maxLength: 20 }),
    md5OfBody: text,
    md5OfMessageAttributes: text,
    messageAttributes: attrs,
    senderId: text,
    sendTimestampMillis: int64,
    availableAtMillis: int64,
    visibleAtMillis: int64,
    receiveCount: fc.constantFrom(0n, 2n),
    messageGroupId: text,
    messageDedupId: text,
    sequenceNumber: uint64,
    deadLetterSourceArn: text,
    generation: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
  });
  const omit = (s: string): string | undefined => (s === '' ? undefined : s);
  const omitZero = (n: bigint): bigint | undefined => (n === 0n ? undefined : n);
  const html = { escapeHTML: true, indent: false } as const;
  fc.assert(
    fc.property(message, (r) => {
      const attributes = r.messageAttributes === undefined ? undefined : new Map(r.messageAttributes);
      const m: Message = { ...MSG, ...r, body: Buffer.from(r.body), messageAttributes: attributes };
      const goAttributes =
        attributes === undefined || attributes.size === 0
          ? undefined
          : new GoMap([...attributes].map(([k, v]) => [k, new GoRaw(v)] as const));
      const want = goMarshal(
        {
          message_id: m.messageId,
          body: m.body.toString('base64'),
          md5_of_body: m.md5OfBody,
          md5_of_message_attributes: omit(m.md5OfMessageAttributes),
          message_attributes: goAttributes,
          sender_id: omit(m.senderId),
          send_timestamp_millis: m.sendTimestampMillis,
          available_at_millis: m.availableAtMillis,
          visible_at_millis: delayedUntil(m),
          receive_count: 0n,
          current_receipt_token: null,
          queue_generation: r.generation,
          message_group_id: omit(m.messageGroupId),
          message_deduplication_id: omit(m.messageDedupId),
          sequence_number: omitZero(m.sequenceNumber),
          dead_letter_source_arn: omit(m.deadLetterSourceArn),
        },
        html,
      );
      assert.equal(hex(renderStoredMessage(m, r.generation)), hex(cat('\x00SM\x01', Buffer.from(want, 'utf8'))));
      const dedup = goMarshal(
        {
          message_id: m.messageId,
          send_timestamp_ms: m.sendTimestampMillis,
          expires_at_millis: m.availableAtMillis,
          original_sequence: omitZero(m.sequenceNumber),
        },
        html,
      );
      const got = renderDedupRecord(m.messageId, m.sendTimestampMillis, m.availableAtMillis, m.sequenceNumber);
      assert.equal(hex(got), hex(Buffer.from(dedup, 'utf8')));
    }),
    { numRuns: 500 },
  );
});

test('decode: send order, live generation only, visibility zeroed, orphans reported', async () => {
  const warnings: string[] = [];
  const { tree } = await decodeWith(adapters, buildFsm(1000n, SQS_ROWS), { warn: (e) => warnings.push(e) });
  const files = await readTree(join(tree, 'sqs'));
  assert.deepEqual([...files.keys()].sort(), ['fast.fifo/_queue.json', 'fast.fifo/messages.jsonl', 'jobs.fifo/_queue.json', 'jobs.fifo/messages.jsonl', 'orders/_queue.json', 'orders/messages.jsonl']);
  const orders = files.get('orders/messages.jsonl')!.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(orders.map((m) => m.message_id), ['m-1', 'm-0', 'm-2']);
  assert.deepEqual(orders[0]!.body, { base64: '__4A' });
  assert.equal(orders[2]!.visible_at_millis, 0);
  assert.equal(orders[2]!.current_receipt_token, undefined);
  assert.ok(files.get('orders/messages.jsonl')!.toString().includes('"body":"\\u003cb\\u003ebold\\u003c/b\\u003e \\u0026 more"'));
  assert.equal(files.get('orders/_queue.json')!.toString().endsWith('}'), true, 'no trailing newline');
  assert.deepEqual(warnings.sort(), ['sqs_orphan_messages', 'sqs_stale_generation_messages_dropped']);
  assert.ok(files.get('fast.fifo/messages.jsonl')!.toString().includes('"partition":1}'));

  const kept = await decodeWith(adapters, buildFsm(1000n, SQS_ROWS), { switches: { preserveSqsVisibility: true } });
  const line = (await readTree(join(kept.tree, 'sqs'))).get('orders/messages.jsonl')!.toString().split('\n')[2]!;
  assert.ok(line.includes('"visible_at_millis":99999,"receive_count":3,"first_receive_millis":2500,"current_receipt_token":"dG9r"'), line);
});

test('decode with side records: _internals in snapshot order, the sequence counter included', async () => {
  const { tree } = await decodeWith(adapters, buildFsm(1000n, SQS_ROWS), { switches: { includeSqsSideRecords: true } });
  const files = await readTree(join(tree, 'sqs'));
  const side = files.get('jobs.fifo/_internals/side_records.jsonl')!.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as { prefix: string });
  assert.deepEqual(side.map((r) => r.prefix), ['!sqs|msg|group|', '!sqs|queue|seq|']);
  assert.deepEqual(JSON.parse(files.get('orders/_internals/side_records.jsonl')!.toString().split('\n')[0]!), {
    prefix: '!sqs|msg|byage|',
    key_hex: hex(cat('!sqs|msg|byage|b3JkZXJz', be64(3n), be64(1000n), 'bS0x')),
    value_b64: 'bS0x',
  });
});

test('decode rejects malformed keys and values, naming the key', async () => {
  const bad = [
    { key: cat('!sqs|msg|data|', 'cQ'), value: '' },
    { key: cat('!sqs|msg|data|cQ', be64(1n), '*'), value: '' },
    { key: cat('!sqs|msg|data|p|cQ', be32(1)), value: '' },
    { key: cat('!sqs|msg|data|cQ', be64(1n), 'bQ'), value: 'no magic' },
    { key: cat('!sqs|msg|data|cQ', be64(1n), 'bQ'), value: cat(Buffer.from([0, 0x53, 0x4d, 1]), '{"send_timestamp_millis":1.5}') },
    { key: '!sqs|queue|meta|cQ', value: cat(Buffer.from([0, 0x53, 0x51, 1]), '{') },
    { key: '!sqs|queue|gen|cQ', value: 'x' },
  ];
  for (const row of bad) {
    await assert.rejects(decodeWith(adapters, buildFsm(1n, [row])), (e: unknown) => isEkvError(e) && e.exitClass === 'data' && /SQS_/.test(e.code), hex(Buffer.from(row.key)));
  }
});

test('decode refuses a message its queue\'s partitioning rules out (the encoder would refuse the tree)', async () => {
  const b = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
  const meta = (name: string, extra: string): { key: string; value: Buffer } => ({
    key: `!sqs|queue|meta|${b(name)}`,
    value: metaValue(`{"name":"${name}","generation":1,"visibility_timeout_seconds":30,"message_retention_seconds":3600${extra}}`),
  });
  const msg = (id: string, group: string): Buffer =>
    msgValue(`{"message_id":"${id}","body":"","md5_of_body":"x","send_timestamp_millis":1,"available_at_millis":1,"queue_generation":1${group === '' ? '' : `,"message_group_id":"${group}","sequence_number":1`}}`);
  const perGroup = ',"is_fifo":true,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup"';
  const cases = [
    { code: 'SQS_PARTITION_OUT_OF_RANGE', rows: [meta('q.fifo', perGroup), { key: pDataKey('q.fifo', 7, 1n, 'a'), value: msg('a', 'b') }] },
    { code: 'SQS_PARTITION_HASH_MISMATCH', rows: [meta('q.fifo', perGroup), { key: pDataKey('q.fifo', 2, 1n, 'a'), value: msg('a', 'b') }] },
    { code: 'SQS_MISSING_PARTITION', rows: [meta('q.fifo', perGroup), { key: dataKey('q.fifo', 1n, 'a'), value: msg('a', 'b') }] },
    {
      code: 'SQS_PARTITION_ROUTING_MISMATCH',
      rows: [meta('q.fifo', ',"is_fifo":true,"partition_count":4,"fifo_throughput_limit":"perQueue"'), { key: pDataKey('q.fifo', 1, 1n, 'a'), value: msg('a', 'b') }],
    },
    { code: 'SQS_INVALID_MESSAGE', rows: [meta('q', ''), { key: pDataKey('q', 1, 1n, 'a'), value: msg('a', '') }] },
  ];
  for (const c of cases) {
    await assert.rejects(
      decodeWith(adapters, buildFsm(1n, c.rows)),
      (e: unknown) => isEkvError(e) && e.code === c.code && e.message.includes('message "a"'),
      c.code,
    );
  }
  // The same rows on their right partition decode (the group "b" hashes to partition 1 of 4).
  await decodeWith(adapters, buildFsm(1n, [meta('q.fifo', perGroup), { key: pDataKey('q.fifo', 1, 1n, 'a'), value: msg('a', 'b') }]));
});

test('encode equals the reference encoder (fixture) and derives the index, dedup and sequence rows', async () => {
  const { tree } = await decodeWith(adapters, buildFsm(1000n, SQS_ROWS));
  const { fsm } = await encodeWith(adapters, tree);
  const rows = new Map((await rowsOf(fsm)).map(([k, v]) => [k.toString('latin1'), v]));
  const dedupD2 = rows.get(cat('!sqs|msg|dedup|am9icy5maWZv', be64(1n), 'ZDI').toString('latin1'));
  assert.equal(dedupD2?.toString(), '{"message_id":"j-3","send_timestamp_ms":6000,"expires_at_millis":306000,"original_sequence":13}', 'the latest send owns the dedup row');
  assert.equal(rows.get('!sqs|queue|seq|am9icy5maWZv')?.toString(), '13');
  assert.equal(rows.get('!sqs|queue|gen|b3JkZXJz')?.toString(), '3', 'a purged queue keeps its generation');
  assert.equal(rows.get('!sqs|queue|gen|am9icy5maWZv')?.toString(), '1');
  assert.ok(![...rows.keys()].some((k) => k.startsWith('!sqs|msg|group|')), 'no group locks');
  // Content-based dedup: j-1 has no explicit id, so its dedup id is the hex SHA-256 of its body.
  const contentId = Buffer.from(createHash('sha256').update('job one').digest('hex')).toString('base64url');
  assert.equal(rows.get(cat('!sqs|msg|dedup|am9icy5maWZv', be64(1n), contentId).toString('latin1'))?.toString(), '{"message_id":"j-1","send_timestamp_ms":5000,"expires_at_millis":305000,"original_sequence":11}');
  const fixture = await fsp.readFile(new URL('../../fixtures/conformance/sqs/sqs.fsm', import.meta.url));
  const again = await decodeWith(adapters, fixture);
  const { fsm: fsm2, result } = await encodeWith(adapters, again.tree, { selfTest: true });
  assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
  assert.deepEqual(fsm2, fixture);
});

const queueTree = (files: Readonly<Record<string, string | Buffer>>): Promise<string> => treeWith(adapters, 'sqs', files);

const QUEUE = (extra = ''): string => `{"format_version":1,"name":"q","visibility_timeout_seconds":30,"message_retention_seconds":60,"delay_seconds":0${extra}}`;
const LINE = (id: string, extra = ''): string => `{"message_id":"${id}","body":"x","md5_of_body":"m","send_timestamp_millis":1,"available_at_millis":1,"visible_at_millis":0,"receive_count":0,"queue_generation":1${extra}}`;

test('encode rejections name the file, the line and the reason', async () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['bad JSON', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a')}\n{"message_id":\n\n` }, /messages\.jsonl:2: .*unexpected end/],
    ['wrong type', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a')}\n${LINE('b', ',"receive_count":"3"')}\n` }, /messages\.jsonl:2: .*receive_count/],
    ['duplicate id', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a')}\n${LINE('b')}\n${LINE('a')}\n` }, /messages\.jsonl:3: .*"a" appears on lines 1 and 3/],
    ['missing id', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('')}\n` }, /message missing message_id/],
    // Pass 1 decodes only the ids, partition and generation; the other fields are refused by pass 2, same line.
    ['wrong body type', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a')}\n${LINE('b').replace('"body":"x"', '"body":5')}\n${LINE('c')}\n` }, /messages\.jsonl:2: .*body: must be a string/],
    ['bad base64 body', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a')}\n${LINE('b').replace('"body":"x"', '"body":{"base64":"e=A"}')}\n` }, /messages\.jsonl:2: .*body: base64 is not base64url/],
    ['wrong attributes type', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a')}\n${LINE('b', ',"message_attributes":[]')}\n` }, /messages\.jsonl:2: .*message_attributes: cannot unmarshal array/],
    // A wrong id field is refused in pass 1 with the message's first error in field order, as a full decode gives.
    ['wrong generation type', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a')}\n${LINE('b').replace('"queue_generation":1', '"queue_generation":"1"')}\n` }, /messages\.jsonl:2: .*queue_generation: cannot unmarshal string/],
    ['wrong partition type', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a', ',"partition":-1')}\n` }, /messages\.jsonl:1: .*partition: cannot unmarshal number/],
    ['wrong group and body types', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a', ',"message_group_id":7').replace('"body":"x"', '"body":5')}\n` }, /messages\.jsonl:1: .*body: must be a string/],
    ['wrong id type', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a').replace('"message_id":"a"', '"message_id":1')}\n` }, /messages\.jsonl:1: .*message_id: cannot unmarshal number into a string/],
    ['fifo without group', { 'q/_queue.json': QUEUE(',"fifo":true'), 'q/messages.jsonl': `${LINE('a')}\n` }, /has no message_group_id/],
    ['envelope with extra key', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a').replace('"body":"x"', '"body":{"base64":"eA","x":1}')}\n` }, /unknown field "x"/],
    ['envelope without base64', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a').replace('"body":"x"', '"body":{}')}\n` }, /missing base64/],
    ['missing partition', { 'q/_queue.json': QUEUE(',"fifo":true,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId"'), 'q/messages.jsonl': `${LINE('a', ',"message_group_id":"a"')}\n` }, /missing partition/],
    ['partition out of range', { 'q/_queue.json': QUEUE(',"fifo":true,"partition_count":4'), 'q/messages.jsonl': `${LINE('a', ',"message_group_id":"a","partition":4')}\n` }, /out of range/],
    ['perQueue on another lane', { 'q/_queue.json': QUEUE(',"fifo":true,"partition_count":4,"fifo_throughput_limit":"perQueue"'), 'q/messages.jsonl': `${LINE('a', ',"message_group_id":"b","partition":1')}\n` }, /partition 0/],
    ['classic with partition', { 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a', ',"partition":1')}\n` }, /classic queue message "a" has partition=1/],
    ['format version', { 'q/_queue.json': QUEUE().replace('"format_version":1', '"format_version":2') }, /unsupported format_version 2/],
    ['partition count', { 'q/_queue.json': QUEUE(',"fifo":true,"partition_count":3') }, /power of two/],
    ['standard with HT-FIFO', { 'q/_queue.json': QUEUE(',"partition_count":2') }, /only valid on FIFO queues/],
    ['missing _queue.json', { 'q/messages.jsonl': `${LINE('a')}\n` }, /_queue\.json: .*missing/],
    ['trailing data', { 'q/_queue.json': `${QUEUE()} {}` }, /_queue\.json/],
  ];
  for (const [name, files, re] of cases) {
    const tree = await queueTree(files);
    const placed = (e: { code: string; message: string }): boolean =>
      e.code !== 'SQS_INVALID_MESSAGE' || /messages\.jsonl:\d+: sqs encode invalid messages\.jsonl: /.test(e.message);
    await assert.rejects(
      encodeWith(adapters, tree),
      (e: unknown) => isEkvError(e) && e.exitClass === 'data' && re.test(e.message) && placed(e),
      name,
    );
  }
});

test('encode refuses symlinked and hard-linked files, and the unencodable producer modes', async () => {
  const tree = await queueTree({ 'q/_queue.json': QUEUE() });
  const outside = join(await tempDir(), 'm.jsonl');
  await fsp.writeFile(outside, `${LINE('a')}\n`);
  await fsp.symlink(outside, join(tree, 'sqs/q/messages.jsonl'));
  await assert.rejects(encodeWith(adapters, tree), (e: unknown) => isEkvError(e) && e.code === 'TREE_SYMLINK');
  await fsp.rm(join(tree, 'sqs/q/messages.jsonl'));
  await fsp.link(outside, join(tree, 'sqs/q/messages.jsonl'));
  await assert.rejects(encodeWith(adapters, tree), (e: unknown) => isEkvError(e) && e.code === 'TREE_HARDLINK');
  const ok = { ...DEFAULT_DECODE_SWITCHES };
  assert.doesNotThrow(() => { sqsAdapter.checkEncodable({ includeIncompleteUploads: ok.includeIncompleteUploads, includeOrphans: false, renameS3Collisions: false, preserveSqsVisibility: false, includeSqsSideRecords: false, dynamodbLayout: 'per-item' }); });
  assert.throws(() => { sqsAdapter.checkEncodable({ includeIncompleteUploads: false, includeOrphans: false, renameS3Collisions: false, preserveSqsVisibility: true, includeSqsSideRecords: false, dynamodbLayout: 'per-item' }); }, /preserve_sqs_visibility not supported/);
  assert.throws(() => { sqsAdapter.checkEncodable({ includeIncompleteUploads: false, includeOrphans: false, renameS3Collisions: false, preserveSqsVisibility: false, includeSqsSideRecords: true, dynamodbLayout: 'per-item' }); }, /include_sqs_side_records not supported/);
});

// Canonical trees (what decoding an encoded snapshot gives): generation 1, visibility zero, send order.
const idArb = fc.string({ minLength: 1, maxLength: 12 });
const bodyArb = fc.oneof(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)));
const messageArb = fc.record({ id: idArb, body: bodyArb, ts: fc.bigInt({ min: -5n, max: 50n }), group: fc.constantFrom('a', 'b', 'c', 'd'), dedup: fc.constantFrom('', 'x', 'y'), attr: fc.boolean() });

test('property: canonical trees of standard, FIFO and partitioned queues survive tree → .fsm → tree', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('standard', 'fifo', 'partitioned'), fc.uniqueArray(messageArb, { selector: (m) => m.id, maxLength: 12 }), async (kind, msgs) => {
      const fifo = kind !== 'standard';
      const queue = fifo ? `{"format_version":1,"name":"pq","fifo":true,"visibility_timeout_seconds":30,"message_retention_seconds":60,"delay_seconds":0${kind === 'partitioned' ? ',"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup"' : ''}}` : QUEUE();
      const fsmRows = msgs.map((m, i) => {
        const lane = kind === 'partitioned' ? { partitioned: true as const, partition: partitionForGroup(4, false, m.group) } : { partitioned: false as const };
        const body = typeof m.body === 'string' ? Buffer.from(m.body, 'utf8') : m.body;
        const attrs = m.attr ? new Map([['k', '{"DataType":"String","StringValue":"v"}']]) : undefined;
        const msg: Message = {
          ...MSG,
          messageId: m.id,
          body,
          messageAttributes: attrs,
          sendTimestampMillis: m.ts,
          availableAtMillis: m.ts,
          messageGroupId: fifo ? m.group : '',
          messageDedupId: fifo ? m.dedup : '',
          sequenceNumber: fifo ? BigInt(i + 1) : 0n,
          partition: undefined,
        };
        return { key: msgDataKey(kind === 'standard' ? 'q' : 'pq', lane, 1n, m.id), value: renderStoredMessage(msg, 1n) };
      });
      const name = kind === 'standard' ? 'q' : 'pq';
      const tree = await queueTree({ [`${name}/_queue.json`]: queue });
      const first = await encodeWith(adapters, tree);
      const all = [...(await rowsOf(first.fsm)).map(([key, value]) => ({ key, value })), ...fsmRows];
      const withMessages = await decodeWith(adapters, buildFsm(1n, all));
      const { fsm, result } = await encodeWith(adapters, withMessages.tree, { selfTest: true });
      assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
      const back = await decodeWith(adapters, fsm);
      assert.deepEqual(await readTree(join(back.tree, 'sqs')), await readTree(join(withMessages.tree, 'sqs')));
    }),
    { numRuns: 25, plugins: [fc.interruptAfterTimeLimit(20_000)] },
  );
});

// What a node holds after PurgeQueue and new sends: the counter and config at generation 2, live messages at
// generation 2, purged ones still at generation 1 (the reaper had not run), and messages still in their delay.
const b64u = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
const liveMsg = (id: string, gen: bigint, send: number, extra = '', opts: { available?: number; visible?: number; received?: number } = {}): string =>
  `{"message_id":"${id}","body":"${Buffer.from(`body ${id}`).toString('base64')}","md5_of_body":"m","send_timestamp_millis":${send},"available_at_millis":${opts.available ?? send},` +
  `"visible_at_millis":${opts.visible ?? opts.available ?? send},"receive_count":${opts.received ?? 0},"queue_generation":${gen}${extra}}`;
const PURGED_ROWS = [
  { key: `!sqs|queue|meta|${b64u('purged')}`, value: metaValue('{"name":"purged","generation":2,"incarnation":1,"visibility_timeout_seconds":30,"message_retention_seconds":60,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":262144,"last_purged_at_millis":5}') },
  { key: `!sqs|queue|gen|${b64u('purged')}`, value: '2' },
  { key: dataKey('purged', 1n, 'old'), value: msgValue(liveMsg('old', 1n, 1)) },
  { key: dataKey('purged', 2n, 'new-1'), value: msgValue(liveMsg('new-1', 2n, 10)) },
  { key: dataKey('purged', 2n, 'new-2'), value: msgValue(liveMsg('new-2', 2n, 11)) },
  { key: dataKey('purged', 2n, 'in-flight'), value: msgValue(liveMsg('in-flight', 2n, 12, '', { visible: 99_000, received: 1 })) },
  { key: dataKey('purged', 2n, 'delayed'), value: msgValue(liveMsg('delayed', 2n, 13, '', { available: 900_013 })) },
  { key: dataKey('purged', 2n, 'was-delayed-then-received'), value: msgValue(liveMsg('was-delayed-then-received', 2n, 14, '', { available: 50, visible: 99_000, received: 2 })) },
  { key: `!sqs|queue|meta|${b64u('purged.fifo')}`, value: metaValue('{"name":"purged.fifo","generation":3,"is_fifo":true,"visibility_timeout_seconds":30,"message_retention_seconds":60,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":262144}') },
  { key: `!sqs|queue|gen|${b64u('purged.fifo')}`, value: '3' },
  { key: `!sqs|queue|seq|${b64u('purged.fifo')}`, value: '9' },
  { key: dataKey('purged.fifo', 2n, 'gone'), value: msgValue(liveMsg('gone', 2n, 1, ',"message_group_id":"g","message_deduplication_id":"d0","sequence_number":4')) },
  { key: dataKey('purged.fifo', 3n, 'f-1'), value: msgValue(liveMsg('f-1', 3n, 20, ',"message_group_id":"g","message_deduplication_id":"d1","sequence_number":8')) },
  { key: dataKey('purged.fifo', 3n, 'f-2'), value: msgValue(liveMsg('f-2', 3n, 21, ',"message_group_id":"g","message_deduplication_id":"d2","sequence_number":9', { available: 900_021 })) },
];

test('purged queues and delayed messages: decode → encode --self-test → decode gives the same tree', async () => {
  const first = await decodeWith(adapters, buildFsm(1000n, PURGED_ROWS));
  const files = await readTree(join(first.tree, 'sqs'));
  assert.match(files.get('purged/_queue.json')!.toString(), /"name": "purged",\n {2}"generation": 2,\n/);
  assert.match(files.get('purged.fifo/_queue.json')!.toString(), /"generation": 3,/);
  const lines = files.get('purged/messages.jsonl')!.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((m) => [m.message_id, m.queue_generation, m.visible_at_millis, m.receive_count]), [
    ['new-1', 2, 0, 0],
    ['new-2', 2, 0, 0],
    ['in-flight', 2, 0, 0],
    ['delayed', 2, 900_013, 0],
    ['was-delayed-then-received', 2, 0, 0],
  ]);
  const { fsm, result } = await encodeWith(adapters, first.tree, { selfTest: true });
  assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
  const rows = new Map((await rowsOf(fsm)).map(([k, v]) => [k.toString('latin1'), v]));
  assert.equal(rows.get(`!sqs|queue|gen|${b64u('purged')}`)?.toString(), '2');
  assert.match(rows.get(`!sqs|queue|meta|${b64u('purged')}`)!.toString('latin1'), /"generation":2,/);
  assert.equal(rows.get(`!sqs|queue|seq|${b64u('purged.fifo')}`)?.toString(), '9', 'sequence numbers continue where the live queue was');
  const delayed = rows.get(dataKey('purged', 2n, 'delayed').toString('latin1'))!.toString('latin1');
  assert.match(delayed, /"available_at_millis":900013,"visible_at_millis":900013,"receive_count":0/);
  assert.match(rows.get(dataKey('purged', 2n, 'in-flight').toString('latin1'))!.toString('latin1'), /"visible_at_millis":0,/);
  assert.ok(rows.has(cat(`!sqs|msg|vis|${b64u('purged')}`, be64(2n), be64(900_013n), b64u('delayed')).toString('latin1')));
  assert.ok(rows.has(cat(`!sqs|msg|dedup|${b64u('purged.fifo')}`, be64(3n), b64u('d2')).toString('latin1')), 'dedup rows at the live generation');
  assert.ok(![...rows.keys()].some((k) => k.includes(be64(1n).toString('latin1') + b64u('new-1'))), 'nothing at generation 1');
  const again = await decodeWith(adapters, fsm);
  assert.deepEqual(await readTree(join(again.tree, 'sqs')), files);
});

test('a reference tree of a purged queue (no generation in _queue.json) is rebuilt at its messages\' generation', async () => {
  const tree = await queueTree({ 'q/_queue.json': QUEUE(), 'q/messages.jsonl': `${LINE('a').replace('"queue_generation":1', '"queue_generation":4')}\n` });
  const { fsm } = await encodeWith(adapters, tree);
  const rows = new Map((await rowsOf(fsm)).map(([k, v]) => [k.toString('latin1'), v]));
  assert.equal(rows.get('!sqs|queue|gen|cQ')?.toString(), '4');
  assert.ok(rows.has(dataKey('q', 4n, 'a').toString('latin1')));
  const unpurged = await queueTree({ 'q/_queue.json': QUEUE() });
  const empty = new Map((await rowsOf((await encodeWith(adapters, unpurged)).fsm)).map(([k, v]) => [k.toString('latin1'), v]));
  assert.equal(empty.get('!sqs|queue|gen|cQ')?.toString(), '1', 'an unpurged queue restores at generation 1, like the reference');
});
