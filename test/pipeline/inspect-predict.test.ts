// inspect predicts the tree a default decode writes (files, bytes, scratch) from its counts, each adapter for its
// own subtree. Checked against real decodes: files exact where the adapter says so and otherwise at most a few
// side files short (KEYMAP.jsonl, TTL files: at most 2 per scope), bytes within 35 %.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeSnapshot } from '../../src/pipeline/decode.ts';
import { inspectSnapshot } from '../../src/pipeline/inspect.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

const SNAPSHOTS = {
  sample: join(import.meta.dirname, '../../examples/sample.fsm'),
  'node-shapes': join(import.meta.dirname, '../fixtures/node-shapes/000000000000012d.fsm'),
};

async function measure(root: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await fsp.readdir(root, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += (await fsp.stat(join(e.parentPath, e.name))).size;
  }
  return { files, bytes };
}

for (const [name, input] of Object.entries(SNAPSHOTS)) {
  test(`inspect's decoded-tree prediction matches a real decode of ${name}`, async () => {
    const { decodedTree: p, adapters } = await inspectSnapshot({ input });
    const out = join(await tempDir('ekv-predict-'), 'tree');
    await decodeSnapshot({ input, output: out });
    const whole = await measure(out);
    const scopes = adapters.reduce((n, a) => n + a.scopes, 0);
    assert.ok(whole.files >= p.files && whole.files <= p.files + 2 * scopes, `files: predicted ${p.files}, decoded ${whole.files}`);
    for (const a of p.adapters) {
      const actual = await measure(join(out, a.adapter));
      if (a.filesExact) assert.equal(actual.files, a.files, `${a.adapter} files`);
      else assert.ok(actual.files >= a.files, `${a.adapter}: predicted ${a.files} files, decoded ${actual.files}`);
    }
    assert.ok(Math.abs(p.bytes - whole.bytes) <= 0.35 * whole.bytes, `bytes: predicted ${p.bytes}, decoded ${whole.bytes}`);
    assert.ok(p.scratchBytes >= 0);
  });
}
