// The programs in bin/ run the bundle `npm run build` writes to dist/cli/ (scripts/bundle-cli.mjs), not the sources
// these tests import: a snapshot of every adapter, large enough that decode and encode start their worker threads
// (the small-file writer and the read-ahead reader: without either module in dist/cli/ the run fails), goes through
// it and back byte for byte, and the bundle still loads a package only when a command needs it. (A DynamoDB row
// transform the read-ahead thread cannot load leaves the files to the main thread, which makes the same rows.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { importedPackages, PACKAGE_HOOK } from '../helpers/package-hook.ts';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/elastickv-snapshot.js');

function run(args: readonly string[], execArgv: readonly string[] = []): string {
  const r = spawnSync(process.execPath, [...execArgv, BIN, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stderr;
}

test('bin/ runs the bundle: a node-mix snapshot decodes and encodes back byte for byte through its worker threads', async () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/cli/main.js: run npm run build');
  const dir = await tempDir('ekv-bundled-');
  const input = join(dir, 'in.fsm');
  const gen = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/generate.ts'), '--workload', 'node-mix', '--size', '3M', '--output', input],
    { encoding: 'utf8' },
  );
  assert.equal(gen.status, 0, gen.stderr);
  run(['decode', '--quiet', '--input', input, '--output', join(dir, 'tree')]);
  run(['encode', '--quiet', '--self-test', '--input', join(dir, 'tree'), '--output', join(dir, 'out.fsm')]);
  assert.ok(readFileSync(join(dir, 'out.fsm')).equals(readFileSync(input)), 'the re-encoded snapshot differs');
});

test('the bundle loads neither the AWS SDK, nor ioredis, tar, zstd or the inlined packages to decode a local file, and the S3 client for an s3:// input', async () => {
  const dir = await tempDir('ekv-bundled-');
  const sample = join(ROOT, 'examples/sample.fsm');
  const decode = importedPackages(
    run(['decode', '--quiet', '--input', sample, '--output', join(dir, 'tree')], ['--import', PACKAGE_HOOK]),
  );
  // Which the hook would see (the s3:// run below shows it does): the small packages every start needs are inlined.
  for (const heavy of ['@aws-sdk/client-s3', 'ioredis', 'tar', 'fzstd', '@hpcc-js/wasm-zstd', '@bufbuild/protobuf', 'fastest-levenshtein']) {
    assert.ok(!decode.has(heavy), `decode loaded ${heavy}`);
  }
  // An s3:// input that cannot be reached still loads the S3 client first: the lazy import survived bundling.
  const r = spawnSync(
    process.execPath,
    [
      ...['--import', PACKAGE_HOOK, BIN, 'decode', '--quiet', '--input', 's3://no-bucket/x.fsm', '--output', join(dir, 't2')],
      ...['--s3-endpoint', 'http://127.0.0.1:9'],
    ],
    { encoding: 'utf8', env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' } },
  );
  assert.notEqual(r.status, 0);
  assert.ok(importedPackages(r.stderr).has('@aws-sdk/client-s3'), r.stderr);
});
