// Start-up cost: a command loads only the packages it uses. Decoding and encoding local files must not load the
// AWS SDK, the Redis client, tar or zstd (together they took ~0.2 s of every run); help loads none of them either.
// Counts in progress lines are formatted without ICU, whose start-up toLocaleString paid at every decode.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { groupDigits } from '../../src/cli/progress.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { importedPackages, PACKAGE_HOOK } from '../helpers/package-hook.ts';

const CHILD = join(import.meta.dirname, '../helpers/real-cli-child.ts');
const SAMPLE = join(import.meta.dirname, '../../examples/sample.fsm');

/** The packages a CLI run imports (the run must succeed). */
function packagesOf(args: readonly string[]): Set<string> {
  const r = spawnSync(process.execPath, ['--import', PACKAGE_HOOK, '--import', 'tsx', CHILD, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return importedPackages(r.stderr);
}

const HEAVY = ['@aws-sdk/client-s3', '@aws-sdk/lib-storage', '@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', 'ioredis', 'tar', 'fzstd', '@hpcc-js/wasm-zstd'];

test('decode, encode --self-test and help of local files load neither the AWS SDK, nor ioredis, tar or zstd', async () => {
  const dir = await tempDir('ekv-start-up-');
  const runs = [
    ['decode', '--quiet', '--input', SAMPLE, '--output', join(dir, 'tree')],
    ['encode', '--quiet', '--self-test', '--input', join(dir, 'tree'), '--output', join(dir, 'out.fsm')],
    ['--help'],
    ['help', 'decode'],
  ];
  for (const args of runs) {
    const loaded = packagesOf(args);
    // The hook sees packages: decode needs at least the protobuf reader.
    if (args[0] === 'decode') assert.ok(loaded.has('@bufbuild/protobuf'), [...loaded].join(' '));
    for (const name of HEAVY) assert.ok(!loaded.has(name), `${args.join(' ')} loaded ${name}`);
  }
});

test('groupDigits writes counts as toLocaleString("en-US") does', () => {
  fc.assert(
    fc.property(fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e15, noNaN: true })), (n) => {
      assert.equal(groupDigits(n), Math.round(n).toLocaleString('en-US'));
    }),
  );
});
