// decode --skip-expired: records already expired at the snapshot's own time are left out (Redis keys of every
// type, by inline TTL header, meta expiry or `!redis|ttl|` row; SQS messages past their queue's retention) and
// counted; by default they are kept, as the reference does.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeInlineValue, encodeTtlValue } from '../../src/adapters/redis/inline-value.ts';
import { ALL_ADAPTERS } from '../../src/adapters/registry.ts';
import { decodeWith, encodeWith, readTree, tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { buildFsm, type FsmRow } from '../helpers/fsm.ts';
import { dataKey, metaValue, msgValue } from '../adapters/sqs/rows.ts';

const NOW = 1_800_000_000_000n;
const LAST_COMMIT_TS = NOW << 16n;

const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const be64 = encodeTtlValue;
const lp = (prefix: string, k: string): Buffer => Buffer.concat([Buffer.from(prefix), be32(k.length), Buffer.from(k)]);
const str = (body: string, ms: bigint): Buffer => encodeInlineValue(1, Buffer.from(body), ms);
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
const message = (id: string, sentAt: bigint): FsmRow => ({
  key: dataKey('orders', 1n, id),
  value: msgValue(`{"message_id":"${id}","body":"${Buffer.from(id).toString('base64')}","md5_of_body":"x","send_timestamp_millis":${sentAt},"available_at_millis":${sentAt},"visible_at_millis":0,"receive_count":0,"queue_generation":1}`),
});

const ROWS: FsmRow[] = [
  { key: '!redis|str|s:gone', value: str('x', NOW - 1n) },
  { key: '!redis|str|s:edge', value: str('x', NOW) },
  { key: '!redis|str|s:live', value: str('y', NOW + 1n) },
  { key: '!redis|str|s:plain', value: str('z', 0n) },
  { key: '!redis|str|l:gone', value: 'old' },
  { key: '!redis|ttl|l:gone', value: be64(NOW - 5n) },
  // Sorts after the new-format keys: legacy TTL lines come last, and the encoder writes the new format.
  { key: '!redis|str|u:live', value: 'new' },
  { key: '!redis|ttl|u:live', value: be64(NOW + 5n) },
  { key: '!redis|str|l:none', value: 'forever' },
  { key: lp('!hs|meta|', 'h:gone'), value: Buffer.concat([be64(1n), be64(NOW - 1n)]) },
  { key: Buffer.concat([lp('!hs|fld|', 'h:gone'), Buffer.from('f')]), value: 'v' },
  { key: lp('!hs|meta|', 'h:live'), value: Buffer.concat([be64(1n), be64(NOW + 1n)]) },
  { key: Buffer.concat([lp('!hs|fld|', 'h:live'), Buffer.from('f')]), value: 'v' },
  { key: '!lst|meta|q:gone', value: Buffer.concat([be64(0n), be64(1n), be64(1n)]) },
  { key: Buffer.concat([Buffer.from('!lst|itm|q:gone'), Buffer.from('8000000000000000', 'hex')]), value: 'a' },
  { key: '!redis|ttl|q:gone', value: be64(NOW - 1n) },
  { key: lp('!st|meta|', 'st:gone'), value: be64(1n) },
  { key: Buffer.concat([lp('!st|mem|', 'st:gone'), Buffer.from('m')]) },
  { key: '!redis|ttl|st:gone', value: be64(NOW - 1n) },
  { key: lp('!zs|meta|', 'z:live'), value: be64(1n) },
  { key: Buffer.concat([lp('!zs|mem|', 'z:live'), Buffer.from('m')]), value: Buffer.from('3ff0000000000000', 'hex') },
  { key: lp('!stream|meta|', 'x:gone'), value: Buffer.concat([be64(1n), be64(5n), be64(0n), be64(NOW - 1n)]) },
  {
    key: Buffer.concat([lp('!stream|entry|', 'x:gone'), be64(5n), be64(0n)]),
    value: Buffer.from('00525845010a03352d30120166120176', 'hex'),
  },
  {
    key: `!sqs|queue|meta|${b64('orders')}`,
    value: metaValue('{"name":"orders","generation":1,"visibility_timeout_seconds":30,"message_retention_seconds":60,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":262144}'),
  },
  { key: `!sqs|queue|gen|${b64('orders')}`, value: '1' },
  message('past', NOW - 60_001n),
  message('edge', NOW - 60_000n),
  message('fresh', NOW - 1_000n),
];

const GONE = ['strings/s%3Agone.bin', 'strings/s%3Aedge.bin', 'strings/l%3Agone.bin', 'hashes/h%3Agone.json', 'lists/q%3Agone.json', 'sets/st%3Agone.json', 'streams/x%3Agone.jsonl'];
const KEPT = ['strings/s%3Alive.bin', 'strings/s%3Aplain.bin', 'strings/u%3Alive.bin', 'strings/l%3Anone.bin', 'hashes/h%3Alive.json', 'zsets/z%3Alive.json'];

const messageIds = async (tree: string): Promise<string[]> =>
  (await fsp.readFile(join(tree, 'sqs/orders/messages.jsonl'), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { message_id: string }).message_id);

test('by default expired records are kept, like the reference', async () => {
  const { tree, result } = await decodeWith(ALL_ADAPTERS, buildFsm(LAST_COMMIT_TS, ROWS), { versions: 'latest' });
  const f = await readTree(join(tree, 'redis/db_0'));
  for (const p of [...GONE, ...KEPT]) assert.ok(f.has(p), p);
  assert.deepEqual(await messageIds(tree), ['past', 'edge', 'fresh']);
  assert.equal(result.counters.expired, 0n);
  assert.ok(!(await fsp.readFile(join(tree, 'MANIFEST.json'), 'utf8')).includes('skip_expired'));
});

test('--skip-expired leaves out every record expired at the snapshot time, counts them, and the tree round-trips', async () => {
  const { tree, result } = await decodeWith(ALL_ADAPTERS, buildFsm(LAST_COMMIT_TS, ROWS), { versions: 'latest', switches: { expired: 'skip' } });
  const f = await readTree(join(tree, 'redis/db_0'));
  for (const p of GONE) assert.ok(!f.has(p), `${p} expired`);
  for (const p of KEPT) assert.ok(f.has(p), `${p} live`);
  assert.equal(f.get('strings_ttl.jsonl')?.toString(), `{"key":"s%3Alive","expire_at_ms":${NOW + 1n}}\n{"key":"u%3Alive","expire_at_ms":${NOW + 5n}}\n`);
  assert.deepEqual(await messageIds(tree), ['edge', 'fresh'], 'the node keeps a message exactly at its retention');
  assert.equal(result.counters.expired, 8n);
  const manifest = JSON.parse(await fsp.readFile(join(tree, 'MANIFEST.json'), 'utf8')) as { skip_expired: unknown };
  assert.deepEqual(manifest.skip_expired, {
    snapshot_time_ms: Number(NOW),
    records: { dynamodb: 0, s3: 0, redis: 7, sqs: 1 },
  });

  const { result: enc } = await encodeWith(ALL_ADAPTERS, tree, { selfTest: true });
  assert.ok(enc.selfTest.matched, enc.selfTest.mismatchText);
});

test('decode CLI: --skip-expired reports the count; it refuses --versions all', async () => {
  const dir = await tempDir();
  const input = join(dir, 'in.fsm');
  await fsp.writeFile(input, buildFsm(LAST_COMMIT_TS, ROWS));
  const ok = await runCli('elastickv-snapshot', ['decode', '--input', input, '--output', join(dir, 'a'), '--skip-expired', '--quiet']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, / expired_skipped=8[ ;]/);
  const bad = await runCli('elastickv-snapshot', ['decode', '--input', input, '--output', join(dir, 'b'), '--skip-expired', '--versions', 'all']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--skip-expired needs --versions latest/);
});
