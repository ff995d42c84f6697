// A directory in place of a file of a dump tree (issue 15): every file of a decoded tree in turn is replaced by an
// empty directory, and `encode --self-test` must refuse the tree with one coded line naming the entry (exit 2).
// Encoders used to skip directories where they list record files: the key was gone and the self-test matched.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

const SAMPLE = new URL('../../examples/sample.fsm', import.meta.url).pathname;
const cli = (args: string[]) => runCli('elastickv-snapshot', args);

function filesOf(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesOf(p));
    else out.push(p);
  }
  return out;
}

for (const layout of ['per-item', 'jsonl'] as const) {
  test(`every file of a decoded tree (DynamoDB ${layout}) replaced by a directory: encode --self-test exits 2 naming it`, async () => {
    const dir = await tempDir('ekv-dir-in-place-');
    const tree = join(dir, 'tree');
    const dec = await cli(['decode', '--quiet', '--input', SAMPLE, '--output', tree, '--dynamodb-bundle-mode', layout]);
    assert.equal(dec.code, 0, dec.stderr);
    // The JSONL layout changes only the DynamoDB files.
    const files = filesOf(tree).filter((f) => layout === 'per-item' || relative(tree, f).startsWith('dynamodb/'));
    assert.ok(files.length > (layout === 'per-item' ? 50 : 5), `only ${files.length} files`);
    for (const file of files) {
      const rel = relative(tree, file);
      const work = join(dir, 'work');
      cpSync(tree, work, { recursive: true });
      rmSync(join(work, rel));
      mkdirSync(join(work, rel));
      const r = await cli(['encode', '--quiet', '--self-test', '--input', work, '--output', join(dir, 'out.fsm')]);
      assert.equal(r.code, 2, `${rel}: exit ${r.code}: ${r.stdout}${r.stderr}`);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `${rel}: ${r.stderr}`);
      const line = lines[0] ?? '';
      assert.match(line, /error \[[A-Z0-9_]+\]/, rel);
      assert.doesNotMatch(line, /SELF_TEST_MISMATCH/, `${rel}: caught only by the self-test`);
      // The entry is named (names with bytes outside printable ASCII are shown escaped: checked by their code alone).
      if (/^[\x20-\x7e]+$/.test(basename(rel))) assert.ok(line.includes(basename(rel)), `${rel} not named: ${line}`);
      rmSync(work, { recursive: true });
      rmSync(join(dir, 'out.fsm'), { force: true });
    }
  });
}
