// A snapshot written by a real elastickv node (d9a031d0) holding what issue 20 found breaking the tools: S3
// folder markers beside objects under them, 900-byte key segments, long Redis keys and DynamoDB names, purged and
// refilled queues, delayed messages. It must decode, agree with what the node served (test/fixtures/node-shapes/
// live.json: S3 keys and SQS message counts), pass encode --self-test, and decode again to the same tree.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTree, tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

const FIXTURE = new URL('../fixtures/node-shapes/', import.meta.url).pathname;
const live = JSON.parse(readFileSync(join(FIXTURE, 'live.json'), 'utf8')) as {
  taken_at_ms: number;
  s3: Record<string, string[]>;
  sqs: Record<string, Record<string, string>>;
};

const jsonLines = (b: Buffer | undefined): Array<Record<string, unknown>> =>
  (b ?? Buffer.alloc(0)).toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

test('a node snapshot with folder markers, long names, purged and delayed queues: decode, agree with the node, self-test, decode again', async () => {
  const dir = await tempDir('ekv-node-shapes-');
  const dec = await runCli('elastickv-snapshot', ['decode', '--input', join(FIXTURE, '000000000000012d.fsm'), '--output', join(dir, 'tree'), '--rename-collisions', '--quiet']);
  assert.equal(dec.code, 0, dec.stderr);
  const files = await readTree(join(dir, 'tree'));
  for (const rel of files.keys()) for (const part of rel.split('/')) assert.ok(Buffer.byteLength(part) <= 255, `${part.length}-byte name in ${rel.slice(0, 60)}…`);

  // S3: every key the node listed is a body file, directly or through KEYMAP, and nothing else is.
  const keymap = new Map(jsonLines(files.get('s3/rw-bkt/KEYMAP.jsonl')).map((r) => [r.encoded as string, Buffer.from(r.original as string, 'base64url').toString()]));
  const keys = [...files.keys()]
    .filter((p) => p.startsWith('s3/rw-bkt/') && !p.endsWith('.elastickv-meta.json') && !['s3/rw-bkt/_bucket.json', 's3/rw-bkt/KEYMAP.jsonl'].includes(p))
    .map((p) => p.slice('s3/rw-bkt/'.length))
    .map((p) => keymap.get(p) ?? p);
  assert.deepEqual(keys.sort(), [...(live.s3['rw-bkt'] ?? [])].sort());
  assert.equal(keymap.get('lvl0/.elastickv-folder-marker'), 'lvl0/');
  assert.equal(files.get('s3/rw-bkt/lvl0/x')?.toString(), 'x under lvl0');

  // Redis: the 605-byte key has a SHA-fallback name and its KEYMAP record.
  const redisKeys = jsonLines(files.get('redis/db_0/KEYMAP.jsonl')).map((r) => Buffer.from(r.original as string, 'base64url').toString('latin1'));
  assert.ok(redisKeys.includes(`long:${'k'.repeat(600)}`));

  // SQS: purged queues keep their generation; delayed messages stay delayed, as many as the node counted.
  for (const q of ['rw-purged', 'rw-purged.fifo']) {
    assert.match(files.get(`sqs/${q}/_queue.json`)!.toString(), /"generation": 2,/);
    assert.ok(jsonLines(files.get(`sqs/${q}/messages.jsonl`)).every((m) => m.queue_generation === 2));
  }
  for (const [q, attrs] of Object.entries(live.sqs)) {
    const msgs = jsonLines(files.get(`sqs/${q}/messages.jsonl`));
    const delayed = msgs.filter((m) => (m.visible_at_millis as number) > live.taken_at_ms).length;
    assert.equal(delayed, Number(attrs.ApproximateNumberOfMessagesDelayed), `${q}: delayed`);
    assert.equal(msgs.length - delayed, Number(attrs.ApproximateNumberOfMessages), `${q}: visible`);
  }

  const enc = await runCli('elastickv-snapshot', ['encode', '--input', join(dir, 'tree'), '--output', join(dir, 'again.fsm'), '--self-test', '--quiet']);
  assert.equal(enc.code, 0, enc.stderr);
  const again = await runCli('elastickv-snapshot', ['decode', '--input', join(dir, 'again.fsm'), '--output', join(dir, 'tree2'), '--quiet']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await readTree(join(dir, 'tree2')), files);
});
