// A short seeded fuzz run (issue 15) and the replay of every failure a long run saved (test/fixtures/fuzz/):
// mutated snapshots of every adapter and hostile trees through inspect, decode, encode --self-test and verify,
// checking the invariants of engine.ts. Long runs: `npm run fuzz -- --minutes N [--seed S]`.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { failureClass, findBases, fuzz, loadFixtures, prepareBases, runRecipe, type CaseResult } from './engine.ts';

const FIXTURES = new URL('../fixtures/fuzz/', import.meta.url).pathname;
/** Seconds of the short run (FUZZ_SECONDS overrides); its seed is fixed so a failure here reproduces. */
const SECONDS = Number(process.env['FUZZ_SECONDS'] ?? 25);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261204);

const show = (r: CaseResult): string =>
  `${r.recipe.kind} case on ${r.recipe.base}${r.recipe.kind === 'fsm' ? ` (${r.recipe.what})` : ` ${JSON.stringify(r.recipe.ops).slice(0, 300)}`}: ${r.failures.map((f) => `${failureClass(f)}: ${f.detail}`).join('; ')}`;

test('fuzz: a short seeded run over every base snapshot keeps every invariant', async () => {
  const scratch = await tempDir('ekv-fuzz-');
  const bases = findBases();
  assert.ok(bases.length >= 9, 'base snapshots missing');
  const baseTrees = await prepareBases(bases, join(scratch, 'bases'));
  const bad: string[] = [];
  const stats = await fuzz({
    seed: SEED,
    deadline: Date.now() + SECONDS * 1000,
    cliEvery: 40,
    scratch,
    bases,
    baseTrees,
    onFailure: (r) => bad.push(show(r)),
  });
  rmSync(scratch, { recursive: true, force: true });
  assert.ok(stats.cases >= 10, `only ${stats.cases} cases ran`);
  assert.deepEqual(bad, [], `${bad.length} of ${stats.cases} cases broke an invariant`);
});

test('fuzz: every saved failure (test/fixtures/fuzz) now keeps every invariant', async () => {
  const fixtures = loadFixtures(FIXTURES);
  if (fixtures.length === 0) return;
  const scratch = await tempDir('ekv-fuzz-replay-');
  const bases = findBases().filter((b) => fixtures.some((f) => f.recipe.base === b.name));
  const baseTrees = await prepareBases(bases, join(scratch, 'bases'));
  const bad: string[] = [];
  for (const [i, { name, recipe }] of fixtures.entries()) {
    if (recipe.kind === 'tree' && !baseTrees.has(recipe.base)) continue; // a live node file not on this machine
    const caseDir = join(scratch, `case-${i}`);
    mkdirSync(caseDir);
    const r = await runRecipe(recipe, caseDir, baseTrees, false);
    if (r.failures.length > 0) bad.push(`${name}: ${show(r)}`);
  }
  rmSync(scratch, { recursive: true, force: true });
  assert.deepEqual(bad, []);
});
