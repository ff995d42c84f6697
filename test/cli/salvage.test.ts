// decode --salvage (issue 15): each kind of row decode refuses on its own fails a plain decode (exit 2) and, with
// --salvage, is set apart in _quarantine/records.jsonl (raw key and value, code, message, offset) while the rest of
// the snapshot is published (exit 3) as a tree that encode --self-test accepts. Damage found only once a key,
// object, bucket or queue was read whole is set apart whole: every row of it, and none of its files in the tree.
import assert from 'node:assert/strict';
import { createReadStream, promises as fsp, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { joinFsm, sortRows, splitFsm, type RawRow } from '../fuzz/fsm-parts.ts';
import { run } from '../../src/cli/main.ts';

const REPO = new URL('../../', import.meta.url).pathname;
const FUZZ = join(REPO, 'test/fixtures/fuzz');
const SAMPLE = join(REPO, 'examples/sample.fsm');
const NODE_SHAPES = join(REPO, 'test/fixtures/node-shapes/000000000000012d.fsm');
const ROWS_OF_RW_PURGED_FIFO = 31; // its messages' rows of both generations, its meta and sequence rows

/** examples/sample.fsm (or `base`) with the first row whose user key starts with `prefix` changed by `damage`. */
function damagedSample(prefix: string, damage: (row: RawRow) => void, base = SAMPLE): Buffer {
  const parts = splitFsm(readFileSync(base));
  const row = parts.rows.find((r) => r.key.subarray(0, r.key.length - 8).toString('latin1').startsWith(prefix));
  assert.ok(row !== undefined, `sample.fsm has no ${prefix} row`);
  damage(row);
  sortRows(parts.rows);
  return joinFsm(parts);
}

interface QuarantineLine {
  offset: number;
  commit_ts: number;
  adapter?: string;
  code: string;
  message: string;
  key: string;
  value: string;
}

const exists = (p: string): Promise<boolean> => fsp.lstat(p).then(() => true, () => false);

/**
 * A row refused on its own; `then`: the rows of its queue or table that follow it into the quarantine (a config
 * or schema row refused leaves its messages or items without one: they are kept with it, not dropped as orphans).
 */
interface SingleCase {
  code: string;
  fsm: () => Buffer;
  key: RegExp;
  then?: { rows: number; key: RegExp; gone: string };
}

const CASES: SingleCase[] = [
  {
    code: 'DDB_INVALID_ITEM',
    fsm: () => readFileSync(join(FUZZ, 'decode-encodable-encode-DDB_ENCODE_INVALID_ITEM-c11e8e55a7.fsm')),
    key: /^!ddb\|item\|c2Vzc2lvbnM\|/,
  },
  {
    code: 'DDB_INVALID_SCHEMA',
    fsm: () => readFileSync(join(FUZZ, 'decode-encodable-encode-DDB_ENCODE_INVALID_SCHEMA-8edb51e77d.fsm')),
    key: /^!ddb\|meta\|table\|/,
  },
  {
    code: 'DDB_INVALID_SCHEMA',
    // The schema of table "events" cut short: its 3 GSI rows, 3 items and generation row follow it.
    fsm: () => damagedSample('!ddb|meta|table|ZXZlbnRz', (r) => (r.value = r.value.subarray(0, 9 + 4 + 5))),
    key: /^!ddb\|meta\|table\|ZXZlbnRz$/,
    then: { rows: 7, key: /^!ddb\|(gsi|item|meta\|gen)\|ZXZlbnRz(\||$)/, gone: 'dynamodb/events' },
  },
  {
    code: 'SQS_INVALID_MESSAGE',
    fsm: () => readFileSync(join(FUZZ, 'decode-encodable-encode-SQS_INVALID_MESSAGE-65f332e54a.fsm')),
    key: /^!sqs\|msg\|data\|/,
  },
  {
    code: 'SQS_INVALID_MESSAGE',
    // Message j-3's data row holding j-2's value (found by the fuzz campaign: the tree held j-2 twice).
    fsm: () => readFileSync(join(FUZZ, 'decode-encodable-encode-SQS_DUPLICATE_MESSAGE_ID-95dacd8d9f.fsm')),
    key: /^!sqs\|msg\|data\|am9icy5maWZv\x00{7}\x01ai0z$/,
  },
  {
    code: 'SQS_MALFORMED_KEY',
    // The generation row of the purged FIFO queue rw-purged.fifo (live generation 2) damaged: which of its messages
    // are live is unknown, so its messages and other rows follow the row (the fuzz campaign found that the tree
    // otherwise held both generations' messages and failed its self-test).
    fsm: () => damagedSample('!sqs|queue|gen|cnctcHVyZ2VkLmZpZm8', (r) => (r.value = Buffer.concat([r.value.subarray(0, 9), Buffer.from('x')])), NODE_SHAPES),
    key: /^!sqs\|queue\|gen\|cnctcHVyZ2VkLmZpZm8$/,
    then: { rows: ROWS_OF_RW_PURGED_FIFO, key: /^!sqs\|(msg\|[a-z]+|queue\|[a-z]+)\|cnctcHVyZ2VkLmZpZm8/, gone: 'sqs/rw-purged.fifo' },
  },
  {
    code: 'SQS_INVALID_QUEUE_META',
    fsm: () => readFileSync(join(FUZZ, 'decode-encodable-encode-SELF_TEST_MISMATCH-75555b1194.fsm')),
    key: /^!sqs\|queue\|meta\|cnctcXVldWUtZGVsYXk$/,
    // Queue "rw-queue-delay": its 2 messages (data, vis and byage rows each) and its generation row follow it.
    then: { rows: 7, key: /^!sqs\|(msg\|(data|vis|byage)|queue\|gen)\|cnctcXVldWUtZGVsYXk/, gone: 'sqs/rw-queue-delay' },
  },
  {
    code: 'REDIS_INVALID_META',
    // A hash meta row cut to 3 bytes of its 8.
    fsm: () => damagedSample('!hs|meta|', (r) => (r.value = r.value.subarray(0, 9 + 3))),
    key: /^!hs\|meta\|/,
  },
  {
    code: 'DECODE_UNATTRIBUTED_ROW',
    // A flipped byte turns `!redis|str|greeting` into a key under the Redis prefix that no layout matches.
    fsm: () => damagedSample('!redis|str|greeting', (r) => r.key.write('x', '!redis|s'.length, 'latin1')),
    key: /^!redis\|sxr\|greeting$/,
  },
];

for (const c of CASES) {
  test(`decode --salvage: a row refused with ${c.code} goes to _quarantine/ and the rest encodes`, async () => {
    const dir = await tempDir('ekv-salvage-');
    const input = join(dir, 'in.fsm');
    await fsp.writeFile(input, c.fsm());

    const plain = await runCli('elastickv-snapshot', ['decode', '--quiet', '--input', input, '--output', join(dir, 'plain')]);
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(plain.stderr, new RegExp(`error \\[${c.code}\\]`));
    await assert.rejects(fsp.stat(join(dir, 'plain')), 'nothing published without --salvage');

    const tree = join(dir, 'tree');
    const salvaged = await runCli('elastickv-snapshot', ['decode', '--quiet', '--json', '--salvage', '--input', input, '--output', tree]);
    assert.equal(salvaged.code, 3, salvaged.stderr);
    const lines = (await fsp.readFile(join(tree, '_quarantine/records.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
    const n = 1 + (c.then?.rows ?? 0);
    assert.equal(lines.length, n);
    const q = JSON.parse(lines[0] as string) as QuarantineLine;
    assert.equal(q.code, c.code);
    assert.match(Buffer.from(q.key, 'base64').toString('latin1'), c.key);
    assert.ok(q.message.includes(`offset ${q.offset}`), q.message);
    assert.match(plain.stderr, new RegExp(`offset ${q.offset}\\b`), 'the offset plain decode names');
    if (c.then !== undefined) {
      for (const line of lines.slice(1)) {
        const f = JSON.parse(line) as QuarantineLine;
        assert.equal(f.code, c.code);
        assert.match(Buffer.from(f.key, 'base64').toString('latin1'), c.then.key);
        assert.ok(f.offset > 0 && f.offset !== q.offset && f.value !== '', line);
      }
      assert.equal(await exists(join(tree, c.then.gone)), false, `${c.then.gone} left out of the tree`);
      assert.doesNotMatch(salvaged.stderr, /orphan/, 'no rows reported as orphans');
    }
    // Listed in MANIFEST.json, CHECKSUMS and the --json summary.
    const manifest = JSON.parse(await fsp.readFile(join(tree, 'MANIFEST.json'), 'utf8')) as { quarantine?: unknown };
    assert.deepEqual(manifest.quarantine, { file: '_quarantine/records.jsonl', records: n, by_code: { [c.code]: n } });
    assert.match(await fsp.readFile(join(tree, 'CHECKSUMS'), 'utf8'), / {2}_quarantine\/records\.jsonl\n/);
    const summary = JSON.parse(salvaged.stdout) as { counters: { quarantined: number }; quarantine: unknown };
    assert.equal(summary.counters.quarantined, n);
    assert.deepEqual(summary.quarantine, manifest.quarantine);

    const enc = await runCli('elastickv-snapshot', ['encode', '--self-test', '--quiet', '--input', tree, '--output', join(dir, 'out.fsm')]);
    assert.equal(enc.code, 0, enc.stderr);
    assert.match(enc.stderr + enc.stdout, new RegExp(`not encoded: ${n} quarantined records in _quarantine/`));
    const verify = await runCli('elastickv-snapshot', ['verify', '--quiet', '--input', tree]);
    assert.equal(verify.code, 0, verify.stderr);
  });
}

test('decode --salvage: a snapshot with nothing to set apart decodes as without it (exit 0, no _quarantine/)', async () => {
  const dir = await tempDir('ekv-salvage-');
  const r = await runCli('elastickv-snapshot', ['decode', '--quiet', '--salvage', '--input', SAMPLE, '--output', join(dir, 'tree')]);
  assert.equal(r.code, 0, r.stderr);
  await assert.rejects(fsp.stat(join(dir, 'tree/_quarantine')));
  assert.doesNotMatch(await fsp.readFile(join(dir, 'tree/MANIFEST.json'), 'utf8'), /quarantine/);
});

/** examples/sample.fsm without the first row whose user key starts with `prefix`, or with it changed by `damage`. */
function sampleWithout(prefix: string, damage?: (row: RawRow) => void): Buffer {
  const parts = splitFsm(readFileSync(SAMPLE));
  const hit = parts.rows.find((r) => r.key.subarray(0, r.key.length - 8).toString('latin1').startsWith(prefix));
  assert.ok(hit !== undefined, `sample.fsm has a ${prefix} row`);
  if (damage === undefined) parts.rows.splice(parts.rows.indexOf(hit), 1);
  else damage(hit);
  sortRows(parts.rows);
  return joinFsm(parts);
}

const lp = (s: string): string => `${String.fromCharCode(0, 0, 0, s.length)}${s}`;

/**
 * Damage found only once a unit's rows were all in. `plain`: what decode without --salvage fails with. `unit`: the
 * code its rows are set apart with, `rows` their user keys (by prefix, in snapshot order), `single` the codes of
 * rows set apart on their own besides; `gone`: tree paths the unit had or would have had, absent after salvage.
 */
const UNIT_CASES: Array<{
  name: string;
  fsm: () => Buffer;
  plain: string;
  unit: string;
  rows: readonly string[];
  single?: readonly string[];
  gone: readonly string[];
  kept: readonly string[];
  /** A tree file that must not mention this text once the unit is set apart. */
  absent?: { readonly file: string; readonly text: string };
}> = [
  {
    name: '(b) a bucket whose meta row has a damaged key',
    fsm: () => sampleWithout('!s3|bucket|meta|logs', (r) => r.key.write('x', '!s3|bucket|m'.length, 'latin1')),
    plain: 'DECODE_UNATTRIBUTED_ROW',
    unit: 'S3_BUCKET_META_MISSING',
    rows: ['!s3|blob|logs', '!s3|obj|head|logs'],
    single: ['DECODE_UNATTRIBUTED_ROW'],
    gone: ['s3/logs'],
    kept: ['s3/photos/_bucket.json'],
  },
  {
    name: 'a bucket without its meta row',
    fsm: () => sampleWithout('!s3|bucket|meta|logs'),
    plain: 'S3_BUCKET_META_MISSING',
    unit: 'S3_BUCKET_META_MISSING',
    rows: ['!s3|blob|logs', '!s3|obj|head|logs'],
    gone: ['s3/logs'],
    kept: ['s3/photos/_bucket.json'],
  },
  {
    name: '(c) a stream whose meta says 2 entries with 1 row present',
    fsm: () => sampleWithout(`!stream|entry|${lp('events')}`),
    plain: 'REDIS_STREAM_LENGTH_MISMATCH',
    unit: 'REDIS_STREAM_LENGTH_MISMATCH',
    rows: [`!stream|entry|${lp('events')}`, `!stream|meta|${lp('events')}`],
    gone: ['redis/db_0/streams/events.jsonl'],
    kept: ['redis/db_0/hashes/user%3A42.json'],
  },
  {
    name: 'a hash whose meta row counts 3 fields with 2 present',
    fsm: () => sampleWithout(`!hs|fld|${lp('user:42')}age`),
    plain: 'REDIS_COLLECTION_LENGTH_MISMATCH',
    unit: 'REDIS_COLLECTION_LENGTH_MISMATCH',
    rows: [`!hs|fld|${lp('user:42')}`, `!hs|fld|${lp('user:42')}`, `!hs|meta|${lp('user:42')}`, '!redis|ttl|user:42'],
    gone: ['redis/db_0/hashes/user%3A42.json'],
    kept: ['redis/db_0/streams/events.jsonl'],
  },
  {
    name: 'an S3 object whose chunk is a byte short (its sibling "dir" then needs no rename)',
    fsm: () =>
      sampleWithout(`!s3|blob|photos\u0000\u0001${'\u0000'.repeat(7)}\u0001dir/x`, (r) => {
        r.value = r.value.subarray(0, r.value.length - 1);
      }),
    plain: 'S3_INCOMPLETE_BLOB_CHUNKS',
    unit: 'S3_INCOMPLETE_BLOB_CHUNKS',
    rows: ['!s3|blob|photos', '!s3|obj|head|photos'],
    gone: ['s3/photos/dir/x', 's3/photos/dir.elastickv-leaf-data', 's3/photos/KEYMAP.jsonl'],
    kept: ['s3/photos/dir', 's3/photos/a/b.txt'],
  },
  {
    name: 'a hash with a SHA-fallback name missing its only field (its KEYMAP record goes too)',
    fsm: () => sampleWithout(`!hs|fld|${String.fromCharCode(0, 0, 1, 44)}${'h'.repeat(300)}`),
    plain: 'REDIS_COLLECTION_LENGTH_MISMATCH',
    unit: 'REDIS_COLLECTION_LENGTH_MISMATCH',
    rows: [`!hs|meta|${String.fromCharCode(0, 0, 1, 44)}hhh`],
    gone: [],
    kept: ['redis/db_0/KEYMAP.jsonl'],
    absent: { file: 'redis/db_0/KEYMAP.jsonl', text: Buffer.from('h'.repeat(300)).toString('base64url') },
  },
  {
    name: 'a bucket holding an object whose key ends in the sidecar suffix (a name collision)',
    fsm: () =>
      sampleWithout(`!s3|obj|head|photos\u0000\u0001${'\u0000'.repeat(7)}\u0001empty`, (r) => {
        const user = r.key.subarray(0, r.key.length - 8);
        const ts = r.key.subarray(r.key.length - 8);
        r.key = Buffer.concat([user.subarray(0, user.length - 2), Buffer.from('.elastickv-meta.json'), user.subarray(user.length - 2), ts]);
      }),
    plain: 'S3_META_SUFFIX_COLLISION',
    unit: 'S3_META_SUFFIX_COLLISION',
    rows: [
      ...['a/b.txt', 'big.bin', 'bin ', 'cas.bin', 'dir', 'dir/x'].map((o) => `!s3|blob|photos\u0000\u0001${'\u0000'.repeat(7)}\u0001${o}`),
      '!s3|bucket|meta|photos',
      ...['a/b.txt', 'big.bin', 'bin ', 'cas.bin', 'dir', 'dir/x', 'empty'].map((o) => `!s3|obj|head|photos\u0000\u0001${'\u0000'.repeat(7)}\u0001${o}`),
    ],
    gone: ['s3/photos'],
    kept: ['s3/logs/_bucket.json'],
  },
  {
    name: 'a DynamoDB item row holding another item\'s value (two rows, one item file: one would be gone)',
    fsm: () => {
      const parts = splitFsm(readFileSync(SAMPLE));
      const items = parts.rows.filter((r) => r.key.subarray(0, r.key.length - 8).toString('latin1').startsWith('!ddb|item|ZXZlbnRz|'));
      (items[1] as RawRow).value = (items[2] as RawRow).value;
      return joinFsm(parts);
    },
    plain: 'DDB_INVALID_ITEM',
    unit: 'DDB_INVALID_ITEM',
    rows: [
      ...['gsi', 'gsi', 'gsi', 'item', 'item', 'item'].map((f) => `!ddb|${f}|ZXZlbnRz|1|`),
      '!ddb|meta|gen|ZXZlbnRz',
      '!ddb|meta|table|ZXZlbnRz',
    ],
    gone: ['dynamodb/events'],
    kept: ['dynamodb/orders/_schema.json', 'dynamodb/sessions/_schema.json'],
  },
  {
    name: 'a stream entry past its meta\'s last id',
    fsm: () => readFileSync(join(FUZZ, 'decode-encodable-encode-REDIS_ENCODE_INVALID_JSON-86c7d0c4a1.fsm')),
    plain: 'REDIS_STREAM_LAST_ID_BEHIND',
    unit: 'REDIS_STREAM_LAST_ID_BEHIND',
    rows: [`!stream|entry|${lp('events')}`, `!stream|entry|${lp('events')}`, `!stream|meta|${lp('events')}`],
    gone: ['redis/db_0/streams/events.jsonl'],
    kept: [],
  },
  {
    name: 'a FIFO queue with a message without a group',
    // Its other damage (a queue meta row of jobs.fifo refused on its own) is what a plain decode meets first; with
    // --salvage the 13 other rows of jobs.fifo (3 messages' rows, 2 dedup rows, gen, seq) follow that meta row.
    fsm: () => readFileSync(join(FUZZ, 'salvage-encodable-encode-SQS_FIFO_MISSING_GROUP-e6746b0e27.fsm')),
    plain: 'SQS_INVALID_QUEUE_META',
    unit: 'SQS_FIFO_MISSING_GROUP',
    rows: [
      ...['byage', 'byage', 'data', 'data', 'dedup', 'dedup', 'vis', 'vis'].map((f) => `!sqs|msg|${f}|p|ZmFzdC5maWZv|`),
      ...['gen', 'meta', 'seq'].map((f) => `!sqs|queue|${f}|ZmFzdC5maWZv`),
    ],
    single: Array<string>(14).fill('SQS_INVALID_QUEUE_META'),
    gone: ['sqs/fast.fifo'],
    kept: [],
  },
  {
    name: 'a FIFO queue with a message on a partition it does not have',
    fsm: () => readFileSync(join(FUZZ, 'decode-encodable-encode-SQS_PARTITION_OUT_OF_RANGE-1c1e4891b6.fsm')),
    plain: 'SQS_PARTITION_OUT_OF_RANGE',
    unit: 'SQS_PARTITION_OUT_OF_RANGE',
    rows: [
      ...['byage', 'byage', 'data', 'data', 'dedup', 'dedup', 'vis', 'vis'].map((f) => `!sqs|msg|${f}|p|ZmFzdC5maWZv|`),
      ...['gen', 'meta', 'seq'].map((f) => `!sqs|queue|${f}|ZmFzdC5maWZv`),
    ],
    gone: ['sqs/fast.fifo'],
    kept: ['sqs/orders/_queue.json'],
  },
];

/** Runs the CLI in-process with the file at `input` as its standard input. */
async function runCliWithStdin(input: string, args: readonly string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const err = new Writable({
    write(chunk, _enc, cb) {
      stderr += String(chunk);
      cb();
    },
  });
  const out = new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });
  const code = await run('elastickv-snapshot', args, { stdin: createReadStream(input), stdout: out, stderr: err, env: {} });
  return { code, stderr };
}


for (const c of UNIT_CASES) {
  test(`decode --salvage: ${c.name} is set apart whole (${c.unit}) and the rest encodes`, async () => {
    const dir = await tempDir('ekv-salvage-');
    const input = join(dir, 'in.fsm');
    await fsp.writeFile(input, c.fsm());

    const plain = await runCli('elastickv-snapshot', ['decode', '--quiet', '--input', input, '--output', join(dir, 'plain')]);
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(plain.stderr, new RegExp(`error \\[${c.plain}\\]`));
    assert.equal(await exists(join(dir, 'plain')), false, 'nothing published without --salvage');

    const tree = join(dir, 'tree');
    const salvaged = await runCli('elastickv-snapshot', ['decode', '--quiet', '--json', '--salvage', '--input', input, '--output', tree]);
    assert.equal(salvaged.code, 3, salvaged.stderr);
    const lines = (await fsp.readFile(join(tree, '_quarantine/records.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as QuarantineLine);
    const unitRows = lines.filter((q) => q.code === c.unit);
    const keys = unitRows.map((q) => Buffer.from(q.key, 'base64').toString('latin1'));
    assert.equal(keys.length, c.rows.length, keys.join(' | '));
    c.rows.forEach((prefix, i) => {
      assert.ok(keys[i]?.startsWith(prefix), `${keys[i]} starts with ${prefix}`);
    });
    for (const q of unitRows) {
      assert.ok(q.offset > 0 && q.commit_ts > 0 && q.value !== '', JSON.stringify(q));
      assert.ok(q.message.length > 0);
    }
    assert.deepEqual(lines.filter((q) => q.code !== c.unit).map((q) => q.code), c.single ?? []);
    assert.equal(new Set(lines.map((q) => q.offset)).size, lines.length, 'no row set apart twice');
    for (const p of c.gone) assert.equal(await exists(join(tree, p)), false, `${p} left out of the tree`);
    for (const p of c.kept) assert.equal(await exists(join(tree, p)), true, `${p} still in the tree`);
    if (c.absent !== undefined) assert.ok(!(await fsp.readFile(join(tree, c.absent.file), 'latin1')).includes(c.absent.text), `${c.absent.file} names the unit`);

    const manifest = JSON.parse(await fsp.readFile(join(tree, 'MANIFEST.json'), 'utf8')) as { quarantine?: { records: number; by_code: Record<string, number> } };
    assert.equal(manifest.quarantine?.records, lines.length);
    assert.equal(manifest.quarantine.by_code[c.unit], unitRows.length);
    const summary = JSON.parse(salvaged.stdout) as { counters: { quarantined: number }; quarantine: unknown };
    assert.equal(summary.counters.quarantined, lines.length);
    assert.deepEqual(summary.quarantine, manifest.quarantine);
    const checksums = await fsp.readFile(join(tree, 'CHECKSUMS'), 'utf8');
    for (const p of c.gone) assert.doesNotMatch(checksums, new RegExp(`  ${p.replace(/[.]/g, '\\.')}(/|\n)`), `${p} not in CHECKSUMS`);

    const enc = await runCli('elastickv-snapshot', ['encode', '--self-test', '--quiet', '--input', tree, '--output', join(dir, 'out.fsm')]);
    assert.equal(enc.code, 0, enc.stderr);
    const verify = await runCli('elastickv-snapshot', ['verify', '--quiet', '--input', tree]);
    assert.equal(verify.code, 0, verify.stderr);
  });
}

test('decode --salvage of a damaged key from standard input: refused with DECODE_SALVAGE_UNSUPPORTED (read once)', async () => {
  const dir = await tempDir('ekv-salvage-');
  const input = join(dir, 'in.fsm');
  await fsp.writeFile(input, sampleWithout(`!hs|fld|${lp('user:42')}age`));
  const r = await runCliWithStdin(input, ['decode', '--quiet', '--salvage', '--input', '-', '--output', join(dir, 'tree')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error \[DECODE_SALVAGE_UNSUPPORTED\].*REDIS_COLLECTION_LENGTH_MISMATCH.*standard input/);
  assert.equal(await exists(join(dir, 'tree')), false);
});

test('decode --salvage of a damaged key straight to an archive: refused with DECODE_SALVAGE_UNSUPPORTED', async () => {
  const dir = await tempDir('ekv-salvage-');
  const input = join(dir, 'in.fsm');
  await fsp.writeFile(input, sampleWithout(`!hs|fld|${lp('user:42')}age`));
  const r = await runCli('elastickv-snapshot', ['decode', '--quiet', '--salvage', '--input', input, '--output', join(dir, 'tree.tar')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error \[DECODE_SALVAGE_UNSUPPORTED\].*REDIS_COLLECTION_LENGTH_MISMATCH.*archive/);
  assert.equal(await exists(join(dir, 'tree.tar')), false);
});
