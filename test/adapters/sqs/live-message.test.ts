import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { dumpedMessage, messageRecord } from '../../../src/adapters/sqs/decode.ts';
import { LiveMessage, messageRecord as scannedRecord } from '../../../src/adapters/sqs/live-message.ts';
import {
  parseDumpMessage,
  parseDumpMessageIdentity,
  parseLiveMessage,
  renderDumpLine,
  type Message,
  type MessageIdentity,
} from '../../../src/adapters/sqs/records.ts';
import { parseJson } from '../../../src/json/go-json-read.ts';
import { quoteString } from '../../../src/json/go-json.ts';
import { sqsAdapter } from '../../../src/adapters/sqs/index.ts';
import { buildFsm, type FsmRow } from '../../helpers/fsm.ts';
import { decodeWith } from '../../helpers/adapter-harness.ts';
import { dataKey, metaValue, msgValue } from './rows.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const KEY = Buffer.from('!sqs|msg|data|cQ');

/** The generic path's sorter record, or the error it refuses the value with. */
type SorterRecord = { readonly key: Buffer; readonly value: Buffer };

function generic(value: Buffer, preserve: boolean, partition: number | undefined): SorterRecord | Error {
  try {
    return messageRecord('cQ', dumpedMessage(parseLiveMessage(value, KEY), preserve, partition));
  } catch (err) {
    return err as Error;
  }
}

/**
 * Checks the fast path against the generic one on a value: when the scan takes it, the generic path accepts it too,
 * with the same message id and the same sorter record bytes. Returns whether the scan took it.
 */
function agree(value: Buffer, preserve: boolean, partition: number | undefined): boolean {
  const m = new LiveMessage();
  if (!m.scan(value)) return false;
  const want = generic(value, preserve, partition);
  if (want instanceof Error) assert.fail(`scanned a value the generic path refuses (${want.message}): ${value.toString('latin1')}`);
  const id = Buffer.from(parseLiveMessage(value, KEY).messageId, 'utf8');
  assert.equal(m.idMatches(Buffer.from(id.toString('base64url'))), true);
  assert.equal(m.idMatches(Buffer.from(Buffer.concat([id, Buffer.from('x')]).toString('base64url'))), false);
  const got = scannedRecord(m, 'cQ', partition, preserve, { buffer: Buffer.alloc(0) });
  assert.equal(hex(got.key), hex(want.key), value.toString('latin1'));
  assert.equal(got.value.toString('latin1'), want.value.toString('latin1'));
  return true;
}

const NODE_LINE =
  '{"message_id":"m-1","body":"aGk=","md5_of_body":"x","send_timestamp_millis":1700000000000,' +
  '"available_at_millis":1700000005000,"visible_at_millis":1700000005000,"receive_count":0,' +
  '"current_receipt_token":null,"queue_generation":3,"message_group_id":"g","sequence_number":7}';

test('live message scan: the node\'s shape is scanned, and gives the generic path\'s record', () => {
  for (const preserve of [false, true]) {
    for (const partition of [undefined, 0, 3]) assert.equal(agree(msgValue(NODE_LINE), preserve, partition), true);
  }
  // The delay rule (records.ts delayedUntil) on its edges: sent at 10, available at 9, 10 or 11, visible then or not.
  for (const available of [9, 10, 11]) {
    for (const visible of [available, 0]) {
      for (const receives of [0, 1]) {
        const line = NODE_LINE.replace('1700000000000', '10')
          .replace('"available_at_millis":1700000005000', `"available_at_millis":${available}`)
          .replace('"visible_at_millis":1700000005000', `"visible_at_millis":${visible}`)
          .replace('"receive_count":0', `"receive_count":${receives}`);
        assert.equal(agree(msgValue(line), false, undefined), true, line);
      }
    }
  }
  // Every field written, visibility state kept.
  const full =
    '{"message_id":"id <&> ~","body":"PGI+","md5_of_body":"a","md5_of_message_attributes":"b","message_attributes":null,' +
    '"sender_id":"s","send_timestamp_millis":-5,"available_at_millis":0,"visible_at_millis":999999999999999,' +
    '"receive_count":2,"first_receive_millis":4,"current_receipt_token":"dG9r","queue_generation":0,' +
    '"message_group_id":"g","message_deduplication_id":"d","sequence_number":123456789012345,"dead_letter_source_arn":"arn"}';
  for (const preserve of [false, true]) assert.equal(agree(msgValue(full), preserve, 1), true);
});

test('live message scan: unusual values are left to the generic path', () => {
  const variants = [
    NODE_LINE.replace('"m-1"', '"m-\\u00e9"'), // an escape
    NODE_LINE.replace('"m-1"', '"m-\u00e9"'), // unicode
    NODE_LINE.replace('"x"', '"\\u003c"'),
    NODE_LINE.replace(':3,', ':03,'), // not a Go integer
    NODE_LINE.replace(':3,', ':3.0,'),
    NODE_LINE.replace(':3,', ':-3,'), // negative unsigned
    NODE_LINE.replace(':0,"current', ':-0,"current'),
    NODE_LINE.replace(':7}', ':1234567890123456}'), // 16 digits
    NODE_LINE.replace('"aGk="', '"aGl="'), // non-zero trailing bits (Go accepts them)
    NODE_LINE.replace('"aGk="', '"aGk"'), // no padding
    NODE_LINE.replace('"aGk="', '"a-k="'), // url alphabet
    NODE_LINE.replace('"md5_of_body"', '"MD5_of_body"'), // another case
    NODE_LINE.replace('"md5_of_body":"x",', '') + ' ', // trailing whitespace
    NODE_LINE.replace('"md5_of_body":"x",', '"md5_of_body": "x",'),
    NODE_LINE.replace('"md5_of_body":"x",', '"md5_of_body":"x","md5_of_body":"y",'), // duplicate
    NODE_LINE.replace('"md5_of_body":"x",', '"extra":1,"md5_of_body":"x",'), // unknown field
    NODE_LINE.replace('"message_id":"m-1",', ''), // no id
    NODE_LINE.replace('{"message_id":"m-1","body":"aGk="', '{"body":"aGk=","message_id":"m-1"'), // out of order
    NODE_LINE.replace('"current_receipt_token":null', '"message_attributes":{"a":{"DataType":"String"}}'),
    NODE_LINE.replace('"current_receipt_token":null', '"message_attributes":null,"current_receipt_token":null').replace('"receive_count":0', '"receive_count":"0"'),
  ];
  let scanned = 0;
  for (const v of variants) {
    if (agree(msgValue(v), false, undefined)) scanned++;
  }
  assert.equal(scanned, 0);
  assert.equal(new LiveMessage().scan(Buffer.from(NODE_LINE)), false, 'no magic');
  assert.equal(new LiveMessage().scan(msgValue(NODE_LINE.slice(0, -1))), false, 'truncated');
  for (const cut of ['{"message_id":"m-1}', '{"message_id":"m-1","body":"aGk}', '{"message_id":"m-1","body":"aGk=}']) {
    assert.equal(new LiveMessage().scan(msgValue(cut)), false, cut);
  }
});

test('live message scan: on generated values, scanned or not, the fast path agrees with the generic one', () => {
  const plain = fc.string({ unit: fc.constantFrom('a', 'b', '-', '_', ' ', '~', '\x7f'), maxLength: 6 });
  const odd = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('"\\', '\u2028', '\ud800x', '<&>'));
  const text = fc.oneof({ weight: 30, arbitrary: plain }, { weight: 1, arbitrary: odd });
  const jsonText = text.map((s) => quoteString(s, true));
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 12 }), plain.map((s) => Buffer.from(s, 'latin1')), odd.map((s) => Buffer.from(s, 'utf8')));
  const base64 = fc.oneof(
    { weight: 30, arbitrary: bytes.map((b) => `"${Buffer.from(b).toString('base64')}"`) },
    { weight: 1, arbitrary: fc.constantFrom('null', '""', '"aGl="', '"aGk"', '"a-k="', '"aG\\nk="', '"===="', '1') },
  );
  const int = (signed: boolean): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: 1, arbitrary: fc.bigInt({ min: signed ? -(2n ** 63n) : 0n, max: 2n ** 64n }).map(String) },
      { weight: 30, arbitrary: fc.integer({ min: signed ? -99999 : 0, max: 99999 }).map(String) },
      { weight: 1, arbitrary: fc.constantFrom('null', '-0', '00', '1.5', '1e3', '"5"', '999999999999999', '-999999999999999', '1000000000000000') },
    );
  const fields: Array<[string, fc.Arbitrary<string>]> = [
    ['message_id', jsonText],
    ['body', base64],
    ['md5_of_body', jsonText],
    ['md5_of_message_attributes', jsonText],
    ['message_attributes', fc.constantFrom('null', 'null', 'null', 'null', '{}', '{"a":1}')],
    ['sender_id', jsonText],
    ['send_timestamp_millis', int(true)],
    ['available_at_millis', int(true)],
    ['visible_at_millis', int(true)],
    ['receive_count', int(true)],
    ['first_receive_millis', int(true)],
    ['current_receipt_token', base64],
    ['queue_generation', int(false)],
    ['message_group_id', jsonText],
    ['message_deduplication_id', jsonText],
    ['sequence_number', int(false)],
    ['dead_letter_source_arn', jsonText],
  ];
  const record = fc.tuple(
    fc.tuple(...fields.map(([name, v]) => fc.tuple(fc.constant(name), v, fc.nat(9)))),
    fc.constantFrom('', '', '', '', '', 'swap', 'upper', 'space'),
    fc.boolean(),
    fc.option(fc.nat(40), { nil: undefined }),
  );
  let scanned = 0;
  fc.assert(
    fc.property(record, ([entries, twist, preserve, partition]) => {
      // About one field in five is left out (omitempty, or a record from elsewhere).
      const kept = entries.filter(([name, , roll]) => name === 'message_id' || roll > 1).map(([name, v]) => [name, v]);
      if (twist === 'swap' && kept.length > 2) kept.splice(1, 2, kept[2]!, kept[1]!);
      if (twist === 'upper') kept[kept.length - 1]![0] = kept[kept.length - 1]![0]!.toUpperCase();
      const sep = twist === 'space' ? ': ' : ':';
      const json = `{${kept.map(([name, v]) => `"${name}"${sep}${v}`).join(',')}}`;
      if (agree(msgValue(json), preserve, partition)) scanned++;
    }),
    { numRuns: 3000 },
  );
  // The generator must reach the fast path often enough for the comparison to mean something.
  assert.ok(scanned > 100, `only ${scanned} values scanned`);
});

test('decode: scanned and parsed messages interleave in send order, lines gathered in blocks across large ones', async () => {
  const rows: FsmRow[] = [
    { key: `!sqs|queue|meta|${Buffer.from('q').toString('base64url')}`, value: metaValue('{"name":"q","generation":1,"visibility_timeout_seconds":30,"message_retention_seconds":3600}') },
  ];
  const values: Buffer[] = [];
  for (let i = 0; i < 600; i++) {
    // Send times from negative to large; every third message takes the generic path (attributes), one body is
    // larger than a block, and the bodies add up to several blocks.
    const send = (i % 2 === 0 ? -1 : 1) * i * 1_000_003 + (i % 7) * 2 ** 40;
    const body = Buffer.alloc(i === 300 ? 100_000 : 200 + i, 0x61 + (i % 26)).toString('base64');
    const attributes = i % 3 === 0 ? '"message_attributes":{"a":{"DataType":"String","StringValue":"<v>"}},' : '';
    const json =
      `{"message_id":"m-${i}","body":"${body}","md5_of_body":"x",${attributes}"send_timestamp_millis":${send},` +
      `"available_at_millis":${send},"visible_at_millis":0,"receive_count":0,"queue_generation":1,"sequence_number":${i % 5}}`;
    const value = msgValue(json);
    values.push(value);
    rows.push({ key: dataKey('q', 1n, `m-${i}`), value });
  }
  const { tree } = await decodeWith([sqsAdapter], buildFsm(1000n, rows));
  const got = await fsp.readFile(join(tree, 'sqs', 'q', 'messages.jsonl'));
  const records = values.map((v) => messageRecord('cQ', dumpedMessage(parseLiveMessage(v, KEY), false, undefined)));
  records.sort((a, b) => Buffer.compare(a.key, b.key));
  const want = Buffer.concat(records.map((r) => r.value.subarray(16)));
  assert.equal(got.length, want.length);
  assert.ok(got.equals(want));
  assert.ok(values.filter((v) => new LiveMessage().scan(v)).length >= 400, 'two messages in three are scanned');
});

/** Checks a messages.jsonl line: when the scan takes it, it reads as the generic reader reads it. */
function agreeDump(line: Buffer): boolean {
  const m = new LiveMessage();
  if (!m.scanDumpLine(line)) return false;
  let want: { message: Message; identity: MessageIdentity };
  try {
    const parsed = parseJson(line.toString('utf8'));
    want = { message: parseDumpMessage(parsed), identity: parseDumpMessageIdentity(parsed) };
  } catch (err) {
    assert.fail(`scanned a line the generic reader refuses (${(err as Error).message}): ${line.toString('latin1')}`);
  }
  assert.deepEqual(m.message(), want.message, line.toString('latin1'));
  assert.deepEqual(m.identity(), want.identity);
  return true;
}

test('dump line scan: lines in the decoder\'s shape read as parseDumpMessage reads them; others are left to it', () => {
  const line =
    '{"message_id":"m-1","body":"hi there","md5_of_body":"x","send_timestamp_millis":-5,"available_at_millis":7,' +
    '"visible_at_millis":0,"receive_count":0,"current_receipt_token":"dG9r","queue_generation":2,' +
    '"message_group_id":"g",' +
    '"sequence_number":9,"partition":4294967295}';
  assert.equal(agreeDump(Buffer.from(line)), true);
  assert.equal(agreeDump(Buffer.from(line.replace(',"partition":4294967295', ',"partition":null'))), true);
  assert.equal(agreeDump(Buffer.from(line.replace('"hi there"', '""'))), true);
  const others = [
    line.replace(':4294967295', ':4294967296'), // overflows uint32
    line.replace('"hi there"', '{"base64":"_w"}'),
    line.replace('"hi there"', '"\\u003cb\\u003e"'),
    line.replace('"dG9r"', '"dG9"'),
    line.replace('{"message_id"', ' {"message_id"'),
    line + ' ',
    line.replace('"md5_of_body":"x",', '"message_attributes":{"a":1},'),
  ];
  for (const other of others) assert.equal(agreeDump(Buffer.from(other)), false, other);
  assert.equal(new LiveMessage().scanDumpLine(msgValue(line)), false, 'a live value is not a line');
  assert.equal(new LiveMessage().scan(Buffer.from(line)), false, 'a line is not a live value');
});

test('dump line scan: on rendered and twisted lines of generated messages, it agrees with parseDumpMessage', () => {
  const plain = fc.string({ unit: fc.constantFrom('a', 'b', '-', '_', ' ', '~', '\x7f'), maxLength: 6 });
  const text = fc.oneof({ weight: 20, arbitrary: plain }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) });
  const int = fc.oneof(
    { weight: 20, arbitrary: fc.bigInt({ min: -99999n, max: 99999n }) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
  );
  const uint = fc.oneof(
    { weight: 20, arbitrary: fc.bigInt({ min: 0n, max: 99999n }) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
  );
  const message = fc.record({
    messageId: plain.filter((s) => s !== ''),
    body: fc.oneof(
      { weight: 10, arbitrary: plain.map((s) => Buffer.from(s, 'latin1')) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b)) },
    ),
    md5OfBody: text,
    md5OfMessageAttributes: text,
    messageAttributes: fc.constantFrom(undefined, new Map([['a', '1']])),
    senderId: text,
    sendTimestampMillis: int,
    availableAtMillis: int,
    visibleAtMillis: int,
    receiveCount: int,
    firstReceiveMillis: int,
    currentReceiptToken: fc.option(fc.uint8Array({ maxLength: 5 }).map((b) => Buffer.from(b)), { nil: undefined }),
    queueGeneration: uint,
    messageGroupId: text,
    messageDedupId: text,
    sequenceNumber: uint,
    deadLetterSourceArn: text,
    partition: fc.option(fc.nat(), { nil: undefined }),
  });
  const twist = fc.constantFrom('', '', '', '', 'upper', 'space', 'null', 'drop');
  let scanned = 0;
  fc.assert(
    fc.property(message, twist, (m, how) => {
      let line = renderDumpLine(m).slice(0, -1);
      if (how === 'upper') line = line.replace('"md5_of_body"', '"Md5_of_body"');
      if (how === 'space') line = line.replace('"queue_generation":', '"queue_generation" :');
      if (how === 'null') line = line.replace(/"sender_id":"[^"]*"/, '"sender_id":null');
      if (how === 'drop') line = line.replace(/,"receive_count":[0-9-]+/, '');
      if (agreeDump(Buffer.from(line, 'utf8'))) scanned++;
    }),
    { numRuns: 2000 },
  );
  assert.ok(scanned > 100, `only ${scanned} lines scanned`);
});
