// Long fuzz runs (issue 15): `npm run fuzz -- --minutes N [--seed S] [--cli-every K]`. Runs the cases of
// test/fuzz/engine.ts until the time is up and saves each failure of a class not seen before (invariant, command,
// error code) as a regression fixture under test/fixtures/fuzz/, which npm test replays. Prints the figures.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { failureClass, findBases, fuzz, prepareBases, saveFixture } from '../test/fuzz/engine.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '1' }, seed: { type: 'string' }, 'cli-every': { type: 'string', default: '25' } } });
const minutes = Number(values.minutes);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isFinite(minutes) || minutes <= 0 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- --minutes N [--seed S] [--cli-every K]');
  process.exit(1);
}
const fixtures = new URL('../test/fixtures/fuzz/', import.meta.url).pathname;
const known = new Set(readdirSync(fixtures, { withFileTypes: true }).filter((e) => e.name.endsWith('.json')).map((e) => e.name.replace(/-[0-9a-f]{10}\.json$/, '')));
const scratch = mkdtempSync(join(tmpdir(), 'ekv-fuzz-'));
const started = Date.now();
try {
  const bases = findBases();
  console.log(`fuzz: seed ${seed}, ${minutes} min, ${bases.length} base snapshots: ${bases.map((b) => b.name).join(', ')}`);
  const baseTrees = await prepareBases(bases, join(scratch, 'bases'));
  const saved: string[] = [];
  const stats = await fuzz({
    seed,
    deadline: started + minutes * 60_000,
    cliEvery: Number(values['cli-every']),
    scratch,
    bases,
    baseTrees,
    onFailure: (r, i) => {
      for (const f of r.failures) {
        console.log(`case ${i}: ${failureClass(f)}: ${f.detail.split('\n')[0]}`);
        if (known.has(failureClass(f))) continue;
        known.add(failureClass(f));
        saved.push(saveFixture(fixtures, r.recipe, f));
      }
    },
  });
  const secs = (Date.now() - started) / 1000;
  console.log(`fuzz: ${stats.cases} cases (${stats.cliCases} as CLI processes), ${stats.runs} command runs in ${secs.toFixed(0)} s, seed ${seed}`);
  console.log(`fuzz: failures by class: ${stats.failures.size === 0 ? 'none' : [...stats.failures].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const s of saved) console.log(`fuzz: saved test/fixtures/fuzz/${s}`);
  process.exitCode = stats.failures.size === 0 ? 0 : 3;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
