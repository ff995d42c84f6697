// Conformance with the reference tools: for every case (see cases.ts), our decode CLI on the reference's
// `.fsm` gives the reference's tree byte for byte, and our encode CLI on the reference's tree gives the
// reference's `.fsm` byte for byte. Checks listed in known-differences.json are reported and skipped; an entry
// with `files` skips only those files of the tree (and their CHECKSUMS lines), where we differ on purpose.
//
// MANIFEST.json holds run-specific values (wall time, input path); it is compared with those two fields
// removed, and CHECKSUMS is compared without the MANIFEST.json line.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTree, tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { discoverPairs, type ConformancePair } from './cases.ts';

interface KnownDifference {
  readonly case: string;
  readonly stem: string;
  readonly direction: 'decode' | 'encode';
  readonly reason: string;
  /** When present, only these tree files are exempt from the byte comparison; the rest is still checked. */
  readonly files?: readonly string[];
}

const known = (JSON.parse(readFileSync(new URL('./known-differences.json', import.meta.url), 'utf8')) as { differences: KnownDifference[] }).differences;
const stemOf = (p: ConformancePair): string => (p.fsm.split('/').pop() ?? '').replace(/\.fsm$/, '');
const knownFor = (p: ConformancePair, direction: 'decode' | 'encode') => known.find((k) => k.case === p.caseName && k.stem === stemOf(p) && k.direction === direction);

if (known.length > 0) {
  console.log(`conformance: ${known.length} known difference(s):`);
  for (const k of known) console.log(`  ${k.case}/${k.stem} ${k.direction}: ${k.reason}`);
}

/** Decode flags that reproduce the producer's run, read from the expected manifest. */
function decodeFlagsFor(manifest: Record<string, unknown>): string[] {
  const args: string[] = [];
  const adapters = Object.keys((manifest.adapters as Record<string, unknown> | null) ?? {});
  args.push('--adapter', adapters.join(','));
  if (typeof manifest.cluster_id === 'string') args.push('--cluster-id', manifest.cluster_id);
  const ex = (manifest.exclusions ?? {}) as Record<string, boolean>;
  if (ex.include_incomplete_uploads === true) args.push('--include-incomplete-uploads');
  if (ex.include_orphans === true) args.push('--include-orphans');
  if (ex.preserve_sqs_visibility === true) args.push('--preserve-sqs-visibility');
  if (ex.include_sqs_side_records === true) args.push('--include-sqs-side-records');
  if (ex.rename_s3_collisions === true) args.push('--rename-collisions');
  if (manifest.dynamodb_layout === 'jsonl') args.push('--dynamodb-bundle-mode', 'jsonl');
  return args;
}

function stableManifest(bytes: Buffer): string {
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((l) => !/^\s*"(wall_time_iso|fsm_path)":/.test(l))
    .join('\n');
}

function stableChecksums(bytes: Buffer, exempt: ReadonlySet<string>): string {
  return bytes
    .toString('latin1')
    .split('\n')
    .filter((l) => !l.endsWith('  MANIFEST.json') && !exempt.has(l.slice(66)))
    .join('\n');
}

async function checkDecode(p: ConformancePair, exempt: ReadonlySet<string>): Promise<void> {
  const expected = await readTree(p.tree, { withShared: true });
  const manifestBytes = expected.get('MANIFEST.json');
  assert.ok(manifestBytes !== undefined, `${p.tree}: no MANIFEST.json`);
  const out = join(await tempDir('ekv-conf-'), 'tree');
  const args = ['--input', p.fsm, '--output', out, ...decodeFlagsFor(JSON.parse(manifestBytes.toString('utf8')) as Record<string, unknown>), ...p.decodeArgs];
  const r = await runCli('elastickv-snapshot-decode', args);
  assert.equal(r.code, 0, `decode ${p.fsm} failed: ${r.stderr}`);
  const got = await readTree(out, { withShared: true });
  assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort(), 'the same files');
  for (const [rel, want] of expected) {
    const have = got.get(rel) as Buffer;
    if (rel === 'MANIFEST.json') assert.equal(stableManifest(have), stableManifest(want), rel);
    else if (rel === 'CHECKSUMS') assert.equal(stableChecksums(have, exempt), stableChecksums(want, exempt), rel);
    else if (!exempt.has(rel)) assert.ok(have.equals(want), `${rel} differs from the reference's bytes`);
  }
}

async function checkEncode(p: ConformancePair): Promise<void> {
  const dir = await tempDir('ekv-conf-');
  const output = join(dir, 'out.fsm');
  const manifest = JSON.parse(await fsp.readFile(join(p.tree, 'MANIFEST.json'), 'utf8')) as { adapters?: Record<string, unknown> };
  const r = await runCli('elastickv-snapshot-encode', ['--input', p.tree, '--output', output, '--adapter', Object.keys(manifest.adapters ?? {}).join(',')]);
  assert.equal(r.code, 0, `encode ${p.tree} failed: ${r.stderr}`);
  const have = await fsp.readFile(output);
  const want = await fsp.readFile(p.fsm);
  assert.ok(have.equals(want), `${p.tree} encodes to ${have.length} bytes that differ from ${p.fsm} (${want.length} bytes)`);
}

const roots = discoverPairs();
if (roots.length === 0) test('conformance: no case folders present', { skip: 'neither ../shared/conformance nor test/fixtures/conformance exists' }, () => undefined);
for (const { root, pairs } of roots) {
  for (const p of pairs) {
    const name = `${root.split('/').slice(-2).join('/')}/${p.caseName}/${stemOf(p)}`;
    if (p.decode) {
      const k = knownFor(p, 'decode');
      const exempt = new Set(k?.files ?? []);
      test(`conformance decode ${name}`, k !== undefined && k.files === undefined ? { skip: `known difference: ${k.reason}` } : {}, () => checkDecode(p, exempt));
    }
    if (p.encode) {
      const k = knownFor(p, 'encode');
      test(`conformance encode ${name}`, k !== undefined ? { skip: `known difference: ${k.reason}` } : {}, () => checkEncode(p));
    }
  }
}
