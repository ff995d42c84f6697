import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Adapter } from '../../src/adapters/adapter.ts';
import { isEkvError } from '../../src/errors.ts';
import { decodeSnapshot } from '../../src/pipeline/decode.ts';
import { encodeSnapshot } from '../../src/pipeline/encode.ts';
import { buildFsm } from '../helpers/fsm.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { echoAdapter } from '../helpers/echo-adapter.ts';

const adapters = [echoAdapter('redis', '!echo|'), echoAdapter('sqs', '!echo|sqs|')];

async function dumpOf(
  rows: Parameters<typeof buildFsm>[1],
  ts = 50n,
): Promise<{ dir: string; tree: string; fsm: Buffer }> {
  const dir = await tempDir('ekv-encode-');
  const fsm = buildFsm(ts, rows);
  await fsp.writeFile(join(dir, 'in.fsm'), fsm);
  await decodeSnapshot({ input: join(dir, 'in.fsm'), output: join(dir, 'tree'), adapters, selected: ['redis', 'sqs'] });
  return { dir, tree: join(dir, 'tree'), fsm };
}

const rows = [
  { key: '!echo|a', value: 'A' },
  { key: '!echo|ab', value: 'AB' },
  { key: '!echo|sqs|q', value: 'Q' },
];

test('tree -> fsm reproduces the original bytes (encoded-key order: "ab" before "a")', async () => {
  const { dir, tree, fsm } = await dumpOf(rows);
  const out = join(dir, 'out.fsm');
  const res = await encodeSnapshot({ input: tree, output: out, adapters, selected: ['redis', 'sqs'], selfTest: true });
  assert.ok(res.published);
  assert.deepEqual(res.selfTest, { ran: true, matched: true, mismatchText: '' });
  assert.deepEqual(await fsp.readFile(out), fsm);
  assert.deepEqual(res.adaptersEnabled, ['redis', 'sqs']);
  const st = await fsp.stat(out);
  assert.equal(st.mode & 0o777, 0o600);
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['in.fsm', 'out.fsm', 'tree']);
});

test('--last-commit-ts: lower than the manifest is a data error; equal or higher is stamped everywhere', async () => {
  const { dir, tree } = await dumpOf(rows, 50n);
  const out = join(dir, 'out.fsm');
  await assert.rejects(encodeSnapshot({ input: tree, output: out, adapters, selected: ['redis'], lastCommitTs: 49n }), (e: unknown) => isEkvError(e) && e.code === 'LAST_COMMIT_TS_REGRESSION' && e.exitClass === 'data');
  await assert.rejects(fsp.stat(out));
  const res = await encodeSnapshot({ input: tree, output: out, adapters, selected: ['redis', 'sqs'], lastCommitTs: 77n });
  assert.equal(res.lastCommitTs, 77n);
  assert.deepEqual(await fsp.readFile(out), buildFsm(77n, rows));
});

test('self-test catches corruption between write and verification and publishes nothing', async () => {
  const { dir, tree } = await dumpOf(rows);
  const out = join(dir, 'out.fsm');
  await fsp.writeFile(out, 'previous');
  const res = await encodeSnapshot({
    input: tree,
    output: out,
    adapters,
    selected: ['redis', 'sqs'],
    selfTest: true,
    overwrite: 'regular-file',
    afterWrite: async (tmp) => {
      const b = await fsp.readFile(tmp);
      b[b.length - 1] = b[b.length - 1]! ^ 0x01; // flip a bit of the last value
      await fsp.writeFile(tmp, b);
    },
  });
  assert.equal(res.published, false);
  assert.equal(res.selfTest.matched, false);
  assert.match(res.selfTest.mismatchText, /\(bytes differ\)\n$/);
  assert.equal(await fsp.readFile(out, 'utf8'), 'previous');
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['in.fsm', 'out.fsm', 'tree']);
});

test('self-test reports a header mismatch and a snapshot the decoder rejects', async () => {
  const { dir, tree } = await dumpOf(rows);
  const header = await encodeSnapshot({
    input: tree,
    output: join(dir, 'h.fsm'),
    adapters,
    selected: ['redis'],
    selfTest: true,
    afterWrite: async (tmp) => {
      const b = await fsp.readFile(tmp);
      b.writeBigUInt64LE(1n, 8);
      await fsp.writeFile(tmp, b);
    },
  });
  assert.equal(header.selfTest.mismatchText, 'self-test failed: header.LastCommitTS mismatch (want 50, got 1)\n');
  const broken = await encodeSnapshot({
    input: tree,
    output: join(dir, 'b.fsm'),
    adapters,
    selected: ['redis'],
    selfTest: true,
    afterWrite: async (tmp) => fsp.truncate(tmp, 20),
  });
  assert.match(broken.selfTest.mismatchText, /^self-test failed: DecodeSnapshot rejected the produced \.fsm: /);
});

test('an adapter missing from the manifest, or a missing/invalid manifest, is refused before writing', async () => {
  const { dir, tree } = await dumpOf(rows);
  const manifestPath = join(tree, 'MANIFEST.json');
  const m = JSON.parse(await fsp.readFile(manifestPath, 'utf8')) as { adapters: Record<string, unknown> };
  delete m.adapters.sqs;
  await fsp.writeFile(manifestPath, JSON.stringify(m));
  const out = join(dir, 'o.fsm');
  await assert.rejects(encodeSnapshot({ input: tree, output: out, adapters, selected: ['sqs'] }), (e: unknown) => isEkvError(e) && e.code === 'ADAPTER_NOT_IN_MANIFEST' && e.exitClass === 'data');
  await fsp.writeFile(manifestPath, '{"format_version": 2}');
  await assert.rejects(encodeSnapshot({ input: tree, output: out, adapters, selected: ['redis'] }), (e: unknown) => isEkvError(e) && e.code === 'MANIFEST_UNSUPPORTED_VERSION');
  await fsp.rm(manifestPath);
  await assert.rejects(encodeSnapshot({ input: tree, output: out, adapters, selected: ['redis'] }), (e: unknown) => isEkvError(e) && e.code === 'MANIFEST_MISSING' && e.exitClass === 'user');
  await assert.rejects(fsp.stat(out));
});

test('the external sort gives the same bytes as an in-memory sort when forced to spill', async () => {
  const many = Array.from({ length: 3000 }, (_, i) => ({ key: `!echo|k${(i * 7919) % 3000}`, value: `v${i}`.repeat(50) }));
  const { dir, tree, fsm } = await dumpOf(many);
  const out = join(dir, 'spilled.fsm');
  await encodeSnapshot({ input: tree, output: out, adapters, selected: ['redis', 'sqs'], memoryBudget: 64 * 1024 });
  assert.deepEqual(await fsp.readFile(out), fsm);
});

test('a file emitted by reference that changes before the snapshot is written is refused (TREE_FILE_CHANGED)', async () => {
  const { dir, tree } = await dumpOf(rows);
  const echo = echoAdapter('redis', '!echo|');
  for (const change of ['append', 'rewrite same size', 'remove'] as const) {
    const byReference: Adapter = {
      ...echo,
      async encode(ctx) {
        const path = 'redis/echo/ab';
        const file = await ctx.tree.readOrFind(path, 0);
        assert.ok(!Buffer.isBuffer(file));
        await ctx.emitFile(Buffer.from('!echo|ab'), Buffer.alloc(0), file, 0, file.size);
        const abs = join(tree, path);
        if (change === 'append') await fsp.appendFile(abs, 'more');
        else if (change === 'remove') await fsp.rm(abs);
        else {
          await fsp.rm(abs);
          await fsp.writeFile(abs, 'XY');
        }
      },
    };
    const out = join(dir, `changed-${change}.fsm`);
    await assert.rejects(
      encodeSnapshot({ input: tree, output: out, adapters: [byReference], selected: ['redis'] }),
      (e: unknown) => isEkvError(e) && e.code === (change === 'remove' ? 'TREE_MISSING' : 'TREE_FILE_CHANGED') && e.exitClass === 'data',
    );
    await assert.rejects(fsp.stat(out));
    await fsp.writeFile(join(tree, 'redis/echo/ab'), 'AB');
  }
});
