// What the commands report: inspect's logical counts, hashes and largest rows; verify's every problem with a
// count; --json summaries; multi-phase progress lines in a real pseudo-terminal.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

const sample = new URL('../../examples/sample.fsm', import.meta.url).pathname;
const main = (args: string[]) => runCli('elastickv-snapshot', args);

test('inspect: logical counts per adapter, payload SHA-256 and CRC-32C, internal prefixes by name, the largest rows', async () => {
  const r = await main(['inspect', '--input', sample, '-w', 'json', '--top', '3', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    payload_sha256: string;
    payload_crc32c: string;
    live: number;
    adapters: Array<{ adapter: string; scope: string; scopes: number; keys_by_type?: Record<string, number> }>;
    kinds: Array<{ kind: string }>;
    largest: Array<{ value_bytes: number }>;
  };
  assert.equal(doc.payload_sha256, createHash('sha256').update(await fsp.readFile(sample)).digest('hex'));
  assert.match(doc.payload_crc32c, /^[0-9a-f]{8}$/);
  const redis = doc.adapters.find((a) => a.adapter === 'redis');
  assert.equal(redis?.scope, 'db');
  assert.ok((redis.keys_by_type?.['hash'] ?? 0) >= 1);
  assert.ok((doc.adapters.find((a) => a.adapter === 'dynamodb')?.scopes ?? 0) >= 1);
  assert.ok(doc.kinds.every((k) => !k.kind.includes('|')), 'no raw prefixes');
  assert.equal(doc.largest.length, 3);
  assert.ok(
    doc.largest[0]!.value_bytes >= doc.largest[1]!.value_bytes &&
      doc.largest[1]!.value_bytes >= doc.largest[2]!.value_bytes,
  );
  const t = await main(['inspect', '--input', sample, '--top', '2', '--quiet']);
  assert.match(t.stdout, /^sha256 +[0-9a-f]{64}$/m);
  assert.match(t.stdout, /^redis +1 databases, \d+ rows, .* of values; keys: /m);
  assert.match(t.stdout, /^largest rows/m);
  assert.match((await main(['inspect', '--input', sample, '-w', 'yaml'])).stderr, /valid values: table, json/);
});

test('verify reports every problem with a count, as lines and as JSON', async () => {
  const dir = await tempDir('ekv-report-');
  const tree = join(dir, 'tree');
  assert.equal((await main(['decode', '--input', sample, '--output', tree, '--quiet'])).code, 0);
  const ok = await main(['verify', '--input', tree, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { ok: boolean }).ok, true);
  const files = execFileSync('find', ['.', '-type', 'f', '-path', './redis/*'], { cwd: tree, encoding: 'utf8' }).trim().split('\n').sort();
  await fsp.appendFile(join(tree, files[0]!), 'x');
  await fsp.appendFile(join(tree, files[1]!), 'y');
  await fsp.writeFile(join(tree, 'stray.txt'), 'z');
  const bad = await main(['verify', '--input', tree]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout.split('\n').filter((l) => l.startsWith('FAILED')).length, 3, bad.stdout);
  assert.match(bad.stdout, /FAILED \[CHECKSUMS_UNLISTED_FILE\]: stray\.txt: not listed/);
  assert.match(bad.stderr, /3 problems found/);
  const j = await main(['verify', '--input', tree, '--json']);
  assert.equal(j.code, 2);
  const doc = JSON.parse(j.stdout) as { ok: boolean; problem_count: number; problems: Array<{ code: string }> };
  assert.equal(doc.ok, false);
  assert.equal(doc.problem_count, 3);
  assert.deepEqual(doc.problems.map((p) => p.code).sort(), ['CHECKSUMS_UNLISTED_FILE', 'CHECKSUM_MISMATCH', 'CHECKSUM_MISMATCH']);
});

test('--json gives decode and encode summaries on stdout, with phase times', async () => {
  const dir = await tempDir('ekv-report-');
  const d = await main(['decode', '--input', sample, '--output', join(dir, 't'), '--json']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.stderr, '');
  const dd = JSON.parse(d.stdout) as {
    command: string;
    phases: Array<{ name: string; seconds: number }>;
    counters: Record<string, number>;
  };
  assert.equal(dd.command, 'decode');
  assert.deepEqual(dd.phases.map((p) => p.name), ['read', 'finalize', 'checksums']);
  assert.ok(dd.counters['total']! > 0);
  const e = await main(['encode', '--input', join(dir, 't'), '--output', join(dir, 'x.fsm'), '--self-test', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const ed = JSON.parse(e.stdout) as { sha256: string; self_test: string; phases: Array<{ name: string }> };
  assert.equal(ed.sha256, createHash('sha256').update(await fsp.readFile(join(dir, 'x.fsm'))).digest('hex'));
  assert.equal(ed.self_test, 'matched');
  assert.deepEqual(ed.phases.map((p) => p.name), ['read tree', 'write', 'self-test', 'finalize', 'compare']);
  const plain = await main(['decode', '--input', sample, '--output', join(dir, 't2')]);
  assert.equal(plain.stdout, '');
  assert.equal(plain.stderr.split('\n').filter(Boolean).length, 1, 'piped: one summary line');
  assert.match(plain.stderr, /; phases: read [\d.]+s, finalize [\d.]+s, checksums [\d.]+s\n$/);
});
