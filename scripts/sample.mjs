// The README's main job: decode the bundled sample snapshot, re-encode the tree with --self-test, verify both,
// and print a short summary. Uses the compiled CLI (npm install builds it).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const cli = ['bin/elastickv-snapshot.js'];
const out = 'out/sample';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

function run(...args) {
  process.stdout.write(`$ elastickv-snapshot ${args.join(' ')}\n`);
  execFileSync(process.execPath, [...cli, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
}

run('inspect', '--input', 'examples/sample.fsm');
run('decode', '--input', 'examples/sample.fsm', '--output', `${out}/tree`, '--cluster-id', 'sample');
run('verify', '--input', `${out}/tree`);
run('encode', '--input', `${out}/tree`, '--output', `${out}/sample.fsm`, '--self-test');
run('verify', '--input', `${out}/sample.fsm`);

const same = Buffer.compare(readFileSync('examples/sample.fsm'), readFileSync(`${out}/sample.fsm`)) === 0;
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(p.slice(`${out}/tree/`.length));
  }
})(`${out}/tree`);
const byTop = new Map();
for (const f of files) {
  const top = f.includes('/') ? f.split('/')[0] : '(root)';
  byTop.set(top, (byTop.get(top) ?? 0) + 1);
}
// CHECKSUMS lists every other file, so verify's count is one less than the files on disk: say both.
process.stdout.write(
  `\nSummary\n  tree: ${out}/tree (${files.length} files: ${files.length - 1} listed in CHECKSUMS, and CHECKSUMS; ${[...byTop].map(([k, v]) => `${k} ${v}`).join(', ')})\n`,
);
process.stdout.write(`  re-encoded: ${out}/sample.fsm, self-test matched, ${same ? 'byte-identical to' : 'DIFFERENT FROM'} examples/sample.fsm\n`);
if (!same) process.exit(2);
