// The self-test's comparing tree: every verdict the reference's scratch-tree diff gives, without writing files.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { test } from 'node:test';
import { join } from 'node:path';
import { ALL_ADAPTERS } from '../../src/adapters/registry.ts';
import { MISMATCH_LIMIT, SelfTestTree } from '../../src/pipeline/self-test-tree.ts';
import { decodeWith, encodeWith, tempDir } from '../helpers/adapter-harness.ts';

async function inputTree(files: Record<string, string>): Promise<string> {
  const root = await tempDir();
  for (const [rel, body] of Object.entries(files)) {
    await fsp.mkdir(`${root}/${rel}`.slice(0, `${root}/${rel}`.lastIndexOf('/')), { recursive: true });
    await fsp.writeFile(`${root}/${rel}`, body);
  }
  return root;
}

test('same, differing (shorter, longer, same length), missing on either side, outside the adapters, rewritten', async () => {
  const input = await inputTree({
    'redis/same': 'abc',
    'redis/shorter': 'abcdef',
    'redis/longer': 'ab',
    'redis/flip': 'abc',
    'redis/only-input': 'x',
    'redis/rewritten': 'final',
    'redis/d/deep': 'deep',
    'sqs/q': 'q',
    'MANIFEST.json': 'not compared',
  });
  const tree = new SelfTestTree(input, ['redis', 'sqs'], { scratchDir: await tempDir(), memoryBudget: 1024 });
  await tree.writeFile('redis/same', 'abc');
  await tree.writeFile('redis/shorter', 'abc');
  await tree.writeFile('redis/longer', 'abcd');
  const sink = await tree.create('redis/flip');
  await sink.write('a');
  sink.writeNow(Buffer.from('bX'));
  await sink.close();
  await tree.writeFile('redis/only-output', 'y');
  await tree.writeFile('redis/rewritten', 'draft');
  await tree.writeFile('redis/rewritten', 'final');
  await tree.writeFile('redis/d/deep', 'deep');
  await tree.writeFile('MANIFEST.json', 'anything');
  await tree.writeFile('sqs/q', 'q');
  const text = await tree.mismatches();
  await tree.dispose();
  assert.equal(
    text,
    [
      'redis/flip (bytes differ)',
      'redis/longer (bytes differ)',
      'redis/only-input (missing in scratch)',
      'redis/only-output (missing in input)',
      'redis/shorter (bytes differ)',
      '',
    ].join('\n'),
  );
});

test('identical trees give no text; an absent adapter directory is empty on both sides', async () => {
  const input = await inputTree({ 'redis/a': '1', 'redis/b/c': '2' });
  const tree = new SelfTestTree(input, ['redis', 's3'], { scratchDir: await tempDir(), memoryBudget: 1 << 20 });
  await tree.writeFile('redis/b/c', '2');
  await tree.writeFile('redis/a', '1');
  assert.equal(await tree.mismatches(), '');
});

test('more than the limit: the smallest lines, then the truncation line, and later adapters are not reported', async () => {
  const files: Record<string, string> = { 'sqs/x': 'x' };
  for (let i = 0; i < 100; i++) files[`redis/k${String(i).padStart(3, '0')}`] = 'v';
  const input = await inputTree(files);
  const tree = new SelfTestTree(input, ['redis', 'sqs'], { scratchDir: await tempDir(), memoryBudget: 2048 });
  const lines = (await tree.mismatches()).trimEnd().split('\n');
  assert.equal(lines.length, MISMATCH_LIMIT + 1);
  assert.equal(lines[0], 'redis/k000 (missing in scratch)');
  assert.equal(lines[MISMATCH_LIMIT], `... (truncated; first ${MISMATCH_LIMIT} paths shown)`);
});

test('KEYMAP.jsonl records compare as sets: any order and repetition match, other records differ', async () => {
  const a = '{"encoded":"a","original":"YQ","kind":"k"}';
  const b = '{"encoded":"b","original":"Yg","kind":"k"}';
  const c = '{"encoded":"c","original":"Yw","kind":"k"}';
  const input = await inputTree({
    's3/b1/KEYMAP.jsonl': `${a}\n${b}\n`,
    's3/b2/KEYMAP.jsonl': `${a}\n${b}\n`,
    's3/b3/KEYMAP.jsonl': `${a}\n${b}\n`,
    's3/b4/KEYMAP.jsonl': `${a}\n${b}\n`,
    's3/b5/NOTKEYMAP.jsonl': `${a}\n${b}\n`,
    'redis/db_0/KEYMAP.jsonl': `${b}\n${a}\n${b}\n`,
  });
  const tree = new SelfTestTree(input, ['redis', 's3'], { scratchDir: await tempDir(), memoryBudget: 1 << 20 });
  await tree.writeFile('s3/b1/KEYMAP.jsonl', `${b}\n${a}\n`);
  const split = await tree.create('s3/b2/KEYMAP.jsonl');
  await split.write(`${b}\n${a.slice(0, 7)}`);
  split.writeNow(`${a.slice(7)}\n`);
  await split.close();
  await tree.writeFile('s3/b3/KEYMAP.jsonl', `${a}\n${c}\n`);
  await tree.writeFile('s3/b4/KEYMAP.jsonl', `${a}\n`);
  await tree.writeFile('s3/b5/NOTKEYMAP.jsonl', `${b}\n${a}\n`);
  await tree.writeFile('s3/b6/KEYMAP.jsonl', `${a}\n`);
  await tree.writeFile('redis/db_0/KEYMAP.jsonl', `${a}\n${b}\n`);
  const text = await tree.mismatches();
  await tree.dispose();
  assert.equal(
    text,
    ['s3/b3/KEYMAP.jsonl (records differ)', 's3/b4/KEYMAP.jsonl (records differ)', 's3/b5/NOTKEYMAP.jsonl (bytes differ)', 's3/b6/KEYMAP.jsonl (missing in input)', ''].join('\n'),
  );
});

test('unordered record files compare as multisets: any order matches; a changed, missing or repeated line differs', async () => {
  const a = '{"key":"a","expire_at_ms":1}';
  const b = '{"key":"b","expire_at_ms":2}';
  const input = await inputTree({
    'redis/db_0/strings_ttl.jsonl': `${a}\n${b}\n`,
    'redis/db_1/strings_ttl.jsonl': `${a}\n${b}\n`,
    'redis/db_2/strings_ttl.jsonl': `${a}\n${b}\n`,
    'redis/db_3/strings_ttl.jsonl': `${a}\n`,
    'redis/db_4/hll_ttl.jsonl': `${b}\n${a}\n`,
    'redis/db_5/other.jsonl': `${a}\n${b}\n`,
  });
  const tree = new SelfTestTree(input, ['redis'], { scratchDir: await tempDir(), memoryBudget: 1 << 20 }, new Set(['strings_ttl.jsonl', 'hll_ttl.jsonl']));
  const split = await tree.create('redis/db_0/strings_ttl.jsonl');
  await split.write(`${b}\n${a.slice(0, 5)}`);
  split.writeNow(`${a.slice(5)}\n`);
  await split.close();
  await tree.writeFile('redis/db_1/strings_ttl.jsonl', `${a}\n${b.replace('2', '3')}\n`);
  await tree.writeFile('redis/db_2/strings_ttl.jsonl', `${b}\n`);
  await tree.writeFile('redis/db_3/strings_ttl.jsonl', `${a}\n${a}\n`);
  await tree.writeFile('redis/db_4/hll_ttl.jsonl', `${a}\n${b}\n`);
  await tree.writeFile('redis/db_5/other.jsonl', `${b}\n${a}\n`);
  const text = await tree.mismatches();
  await tree.dispose();
  assert.equal(
    text,
    ['redis/db_1/strings_ttl.jsonl (records differ)', 'redis/db_2/strings_ttl.jsonl (records differ)', 'redis/db_3/strings_ttl.jsonl (records differ)', 'redis/db_5/other.jsonl (bytes differ)', ''].join('\n'),
  );
});

// A tree the reference decoder wrote with --rename-collisions, two renamed objects in bucket "logs", whose KEYMAP
// records came out in the other order than ours (Go map order; see test/fixtures/README.md).
const KEYMAP_ORDER = new URL('../fixtures/keymap-order/', import.meta.url).pathname;

test('the self-test accepts a reference tree whose KEYMAP records are in another order, and still fails on a real difference', async () => {
  const tree = join(KEYMAP_ORDER, 'tree');
  const keymap = await fsp.readFile(join(tree, 's3/logs/KEYMAP.jsonl'), 'utf8');
  const { tree: ours } = await decodeWith(ALL_ADAPTERS, await fsp.readFile(join(KEYMAP_ORDER, 's3.fsm')), { switches: { renameCollisions: true } });
  const ourKeymap = await fsp.readFile(join(ours, 's3/logs/KEYMAP.jsonl'), 'utf8');
  assert.notEqual(keymap, ourKeymap, 'the fixture keeps its records in an order our decoder does not write');
  assert.deepEqual(keymap.split('\n').sort(), ourKeymap.split('\n').sort());

  const { fsm, result } = await encodeWith(ALL_ADAPTERS, tree, { selfTest: true });
  assert.equal(result.selfTest.mismatchText, '');
  assert.ok(result.selfTest.matched);
  assert.ok(fsm.equals(await fsp.readFile(join(KEYMAP_ORDER, 's3.fsm'))), "the reference encoder's bytes");

  // A real difference: the input holds a record the snapshot does not give back (the encoder ignores the extra
  // field, so the decoded record lacks it).
  const copy = join(await tempDir(), 'tree');
  await fsp.cp(tree, copy, { recursive: true });
  await fsp.writeFile(join(copy, 's3/photos/KEYMAP.jsonl'), '{"encoded":"dir.elastickv-leaf-data","original":"ZGly","kind":"s3-leaf-data","note":1}\n');
  const bad = await encodeWith(ALL_ADAPTERS, copy, { selfTest: true });
  assert.equal(bad.result.selfTest.matched, false);
  assert.equal(bad.result.selfTest.mismatchText, 's3/photos/KEYMAP.jsonl (records differ)\n');
});
