// The self-test's comparing tree: every verdict the reference's scratch-tree diff gives, without writing files.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { test } from 'node:test';
import { MISMATCH_LIMIT, SelfTestTree } from '../../src/pipeline/self-test-tree.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

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
