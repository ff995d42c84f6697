// Live conformance: every case under `../shared/conformance-live/<case>/` holds a snapshot file written by a real
// elastickv node and what that node's APIs answered for every record (`live-readback.json`). Each snapshot is
// decoded here and the tree judged record by record by `../shared/judge/compare_tree_live.py`, which prints one
// line per record that is not a MATCH and a SUMMARY line. Every record must match; a record already expired at
// snapshot time (EXPIRED-IN-TREE) is allowed by default, and with --skip-expired it must be absent. The tree must
// also survive `encode --self-test`. New cases are picked up as they are dropped into the folder.
//
// `shared/` sits next to the repository (as in CI); ELASTICKV_SHARED names another place (a git worktree's
// neighbours differ). Without it, or without python3, the test is reported as skipped with the reason (a fresh
// clone elsewhere has no neighbours).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

const repoRoot = resolve(new URL('../..', import.meta.url).pathname);
const SHARED = process.env.ELASTICKV_SHARED ?? resolve(repoRoot, '..', 'shared');
const LIVE_ROOT = join(SHARED, 'conformance-live');
const COMPARE = join(SHARED, 'judge', 'compare_tree_live.py');

function liveCases(): Array<{ name: string; fsms: string[]; readback: string }> {
  if (!existsSync(LIVE_ROOT)) return [];
  return readdirSync(LIVE_ROOT)
    .sort()
    .map((name) => join(LIVE_ROOT, name))
    .filter((dir) => statSync(dir).isDirectory() && existsSync(join(dir, 'live-readback.json')))
    .map((dir) => ({
      name: dir.split('/').pop() as string,
      fsms: readdirSync(dir).filter((f) => f.endsWith('.fsm')).sort().map((f) => join(dir, f)),
      readback: join(dir, 'live-readback.json'),
    }));
}

const python = spawnSync('python3', ['--version']).status === 0;
const cases = liveCases();
const missing = cases.length === 0 ? `no live cases in ${LIVE_ROOT}` : !existsSync(COMPARE) ? `${COMPARE} is missing` : !python ? 'python3 is not installed' : undefined;

/** The compare script's lines other than MATCH (it prints only those) and its SUMMARY counts. */
function compareWithLive(
  tree: string,
  readback: string,
): { lines: string[]; summary: Record<string, Record<string, number>> } {
  const r = spawnSync('python3', [COMPARE, tree, readback], { encoding: 'utf8' });
  assert.equal(r.status, 0, `compare_tree_live.py exited ${r.status}: ${r.stderr}`);
  const out = r.stdout.trimEnd().split('\n');
  const last = out.pop() ?? '';
  assert.ok(last.startsWith('SUMMARY '), `no SUMMARY line: ${r.stdout}`);
  return { lines: out, summary: JSON.parse(last.slice('SUMMARY '.length)) as Record<string, Record<string, number>> };
}

if (missing !== undefined) {
  test('live conformance cases', { skip: missing }, () => undefined);
}

for (const c of missing === undefined ? cases : []) {
  for (const fsm of c.fsms) {
    for (const skipExpired of [false, true]) {
      const mode = skipExpired ? ' with --skip-expired' : '';
      test(`live case ${c.name}/${fsm.split('/').pop()}${mode}: every record matches what the node served`, async () => {
        const dir = await tempDir('ekv-live-');
        const tree = join(dir, 'tree');
        const args = ['decode', '--input', fsm, '--output', tree, '--rename-collisions', '--quiet', ...(skipExpired ? ['--skip-expired'] : [])];
        const dec = await runCli('elastickv-snapshot', args);
        assert.equal(dec.code, 0, dec.stderr);
        const { lines, summary } = compareWithLive(tree, c.readback);
        assert.deepEqual(skipExpired ? lines : lines.filter((l) => !l.startsWith('EXPIRED-IN-TREE')), [], `tree ${tree} against ${c.readback}`);
        const matched = Object.values(summary).reduce((n, s) => n + (s.MATCH ?? 0), 0);
        assert.ok(matched > 0, `no record matched: ${JSON.stringify(summary)}`);

        const enc = await runCli('elastickv-snapshot', ['encode', '--input', tree, '--output', join(dir, 'again.fsm'), '--self-test', '--quiet']);
        assert.equal(enc.code, 0, enc.stderr);
      });
    }
  }
}
