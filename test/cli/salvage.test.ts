// decode --salvage (issue 15): each kind of row decode refuses on its own fails a plain decode (exit 2) and, with
// --salvage, is set apart in _quarantine/records.jsonl (raw key and value, code, message, offset) while the rest of
// the snapshot is published (exit 3) as a tree that encode --self-test accepts. Damage found only after the whole
// snapshot was read is not attributable to one row: --salvage still exits 2 on it.
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { joinFsm, sortRows, splitFsm, type RawRow } from '../fuzz/fsm-parts.ts';

const REPO = new URL('../../', import.meta.url).pathname;
const FUZZ = join(REPO, 'test/fixtures/fuzz');
const SAMPLE = join(REPO, 'examples/sample.fsm');

/** examples/sample.fsm with the first row whose user key starts with `prefix` changed by `damage`. */
function damagedSample(prefix: string, damage: (row: RawRow) => void): Buffer {
  const parts = splitFsm(readFileSync(SAMPLE));
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

const CASES: Array<{ code: string; fsm: () => Buffer; key: RegExp }> = [
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
    code: 'SQS_INVALID_MESSAGE',
    fsm: () => readFileSync(join(FUZZ, 'decode-encodable-encode-SQS_INVALID_MESSAGE-65f332e54a.fsm')),
    key: /^!sqs\|msg\|data\|/,
  },
  {
    code: 'SQS_INVALID_QUEUE_META',
    fsm: () => readFileSync(join(FUZZ, 'decode-encodable-encode-SELF_TEST_MISMATCH-75555b1194.fsm')),
    key: /^!sqs\|queue\|meta\|/,
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
    assert.equal(lines.length, 1);
    const q = JSON.parse(lines[0] as string) as QuarantineLine;
    assert.equal(q.code, c.code);
    assert.match(Buffer.from(q.key, 'base64').toString('latin1'), c.key);
    assert.ok(q.message.includes(`offset ${q.offset}`), q.message);
    assert.match(plain.stderr, new RegExp(`offset ${q.offset}\\b`), 'the offset plain decode names');
    // Listed in MANIFEST.json, CHECKSUMS and the --json summary.
    const manifest = JSON.parse(await fsp.readFile(join(tree, 'MANIFEST.json'), 'utf8')) as { quarantine?: unknown };
    assert.deepEqual(manifest.quarantine, { file: '_quarantine/records.jsonl', records: 1, by_code: { [c.code]: 1 } });
    assert.match(await fsp.readFile(join(tree, 'CHECKSUMS'), 'utf8'), / {2}_quarantine\/records\.jsonl\n/);
    const summary = JSON.parse(salvaged.stdout) as { counters: { quarantined: number }; quarantine: unknown };
    assert.equal(summary.counters.quarantined, 1);
    assert.deepEqual(summary.quarantine, manifest.quarantine);

    const enc = await runCli('elastickv-snapshot', ['encode', '--self-test', '--quiet', '--input', tree, '--output', join(dir, 'out.fsm')]);
    assert.equal(enc.code, 0, enc.stderr);
    assert.match(enc.stderr + enc.stdout, /not encoded: 1 quarantined records in _quarantine\//);
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

test('decode --salvage: damage found only once the snapshot is read (a stream past its meta) still fails', async () => {
  const dir = await tempDir('ekv-salvage-');
  const input = join(FUZZ, 'decode-encodable-encode-REDIS_ENCODE_INVALID_JSON-86c7d0c4a1.fsm');
  const r = await runCli('elastickv-snapshot', ['decode', '--quiet', '--salvage', '--input', input, '--output', join(dir, 'tree')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error \[REDIS_STREAM_LAST_ID_BEHIND\].*stream key "events"/);
  await assert.rejects(fsp.stat(join(dir, 'tree')));
});
