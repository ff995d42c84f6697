// Progress in a real terminal: decode and encode --self-test run under `script` (a pseudo-terminal), and each
// phase leaves one line of its own with its total, time and a non-negative rate; the summary names the phases.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';

const sample = new URL('../../examples/sample.fsm', import.meta.url).pathname;
const child = new URL('../helpers/cli-real.ts', import.meta.url).pathname;
const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs the CLI in a pseudo-terminal; returns the lines the terminal shows, escape sequences removed. */
function inTerminal(args: string[]): string[] {
  const cmd = [process.execPath, '--import', 'tsx', child, ...args].map(quote).join(' ');
  const raw = execFileSync('script', ['-q', '-e', '-c', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm' } });
  return raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r\n|\n/).map((l) => l.split('\r').filter((s) => s.trim() !== '').at(-1) ?? '');
}

const PHASE_DONE = (label: string, phase: string): RegExp => new RegExp(`^${label} ${phase} +done: [\\d.,]+ [A-Za-z]+ in [\\d.]+s \\([\\d.,]+ [A-Za-z]+/s\\)$`);

test('decode and encode in a terminal: one line per phase with its own rate, then the summary with phase times', async () => {
  const dir = await tempDir('ekv-tty-');
  const tree = join(dir, 'tree');
  const d = inTerminal(['decode', '--input', sample, '--output', tree]);
  const dDone = d.filter((l) => / done: /.test(l));
  assert.equal(dDone.length, 3, d.join('\n'));
  ['read', 'finalize', 'checksums'].forEach((p, i) => { assert.match(dDone[i]!, PHASE_DONE('decode', p)); });
  assert.match(d.find((l) => l.startsWith('decoded '))!, /; phases: read [\d.]+s, finalize [\d.]+s, checksums [\d.]+s$/);
  const e = inTerminal(['encode', '--input', tree, '--output', join(dir, 'x.fsm'), '--self-test']);
  const eDone = e.filter((l) => / done: /.test(l));
  // The self-test's read is followed by its own finalize and compare phases (it used to sit at 99% through them).
  assert.equal(eDone.length, 5, e.join('\n'));
  ['read tree', 'write', 'self-test', 'finalize', 'compare'].forEach((p, i) => { assert.match(eDone[i]!, PHASE_DONE('encode', p)); });
  assert.match(e.find((l) => l.startsWith('encoded '))!, /; phases: read tree [\d.]+s, write [\d.]+s, self-test [\d.]+s, finalize [\d.]+s, compare [\d.]+s$/);
  for (const l of [...d, ...e]) assert.doesNotMatch(l, /-\d[\d.,]* [A-Za-z]+\/s/, 'no negative rate');
});
