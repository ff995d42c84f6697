// Command-line parsing with Go's flag conventions (core.md §5.0, §2.6) and the value parsers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAdapterSet } from '../../src/cli/adapter-set.ts';
import { parseLastCommitTs } from '../../src/cli/commands/encode.ts';
import { flagBool, flagString, parseGoFlags, parseGoUint, type FlagSpecs } from '../../src/cli/go-flags.ts';
import { parseSize } from '../../src/cli/size.ts';

const SPECS: FlagSpecs = {
  input: { type: 'string', help: 'in' },
  'self-test': { type: 'bool', help: 'st' },
  n: { type: 'uint64', help: 'n' },
  mode: { type: 'string', help: 'm', default: 'per-item' },
};

const userError = (e: Error & { code?: string }) => e.code === 'FLAG_INVALID';

test('single and double dashes, = and separate values, Go booleans', () => {
  const p = parseGoFlags(['--input=a', '-self-test=F', '-n', '0x10', '--mode', 'jsonl', 'rest', '-input', 'x'], SPECS);
  assert.equal(flagString(p, 'input'), 'a');
  assert.equal(flagBool(p, 'self-test'), false);
  assert.equal(p.values.get('n'), 16n);
  assert.equal(flagString(p, 'mode'), 'jsonl');
  assert.deepEqual(p.rest, ['rest', '-input', 'x'], 'parsing stops at the first non-flag');
  assert.deepEqual([...p.given].sort(), ['input', 'mode', 'n', 'self-test']);
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(flagBool(parseGoFlags([`-self-test=${v}`], SPECS), 'self-test'), true);
  assert.equal(flagBool(parseGoFlags(['--self-test'], SPECS), 'self-test'), true);
  assert.equal(flagString(parseGoFlags([], SPECS), 'mode'), 'per-item');
  assert.deepEqual(parseGoFlags(['--', '-input'], SPECS).rest, ['-input']);
  assert.deepEqual(parseGoFlags(['-', '-input'], SPECS).rest, ['-', '-input']);
  assert.equal(parseGoFlags(['-h'], SPECS).help, true);
  assert.equal(parseGoFlags(['--help'], SPECS).help, true);
});

test('errors: unknown flag, missing value, bad boolean, bad number, bad syntax', () => {
  assert.throws(() => parseGoFlags(['--nope'], SPECS), (e: Error) => userError(e) && /flag provided but not defined: --nope$/.test(e.message));
  assert.throws(() => parseGoFlags(['--input'], SPECS), (e: Error) => /flag needs an argument: --input/.test(e.message));
  assert.throws(() => parseGoFlags(['-self-test=yes'], SPECS), (e: Error) => /invalid boolean value "yes"/.test(e.message));
  assert.throws(() => parseGoFlags(['-n', '-1'], SPECS), userError);
  assert.throws(() => parseGoFlags(['---input=a'], SPECS), (e: Error) => /bad flag syntax/.test(e.message));
  assert.throws(() => parseGoFlags(['-=a'], SPECS), (e: Error) => /bad flag syntax/.test(e.message));
});

test('Go ParseUint(s, 0, 64): prefixes, leading-zero octal, underscores, range', () => {
  const cases: [string, bigint | undefined][] = [
    ['0', 0n], ['10', 10n], ['010', 8n], ['0o17', 15n], ['0b101', 5n], ['0xFF', 255n], ['1_000', 1000n], ['0x_1f', 31n],
    ['18446744073709551615', 18446744073709551615n], ['18446744073709551616', undefined], ['_1', undefined], ['1__0', undefined],
    ['09', undefined], ['', undefined], ['0x', undefined], ['+1', undefined], ['1.0', undefined],
  ];
  for (const [s, want] of cases) assert.equal(parseGoUint(s), want, s);
});

test('--last-commit-ts: decimal or 0x hex, trimmed, 64-bit', () => {
  assert.equal(parseLastCommitTs(' 42 '), 42n);
  assert.equal(parseLastCommitTs('0xFFFFFFFFFFFFFFFF'), 18446744073709551615n);
  assert.equal(parseLastCommitTs('0X10'), 16n);
  assert.equal(parseLastCommitTs('010'), 10n, 'a leading zero is still decimal');
  for (const bad of ['', '-1', '0x', '1e3', '0b1', '18446744073709551616', '0x10000000000000000', '0o7']) assert.throws(() => parseLastCommitTs(bad), userError, bad);
});

test('--adapter: all, lists, trimming, case, unknown and empty selections', () => {
  assert.deepEqual(parseAdapterSet('', 'decode'), ['dynamodb', 's3', 'redis', 'sqs']);
  assert.deepEqual(parseAdapterSet('all', 'encode'), ['dynamodb', 's3', 'redis', 'sqs']);
  assert.deepEqual(parseAdapterSet(' sqs , redis,,', 'decode'), ['redis', 'sqs']);
  assert.deepEqual(parseAdapterSet('REDIS', 'encode'), ['redis']);
  assert.throws(() => parseAdapterSet('REDIS', 'decode'), (e: Error & { code?: string }) => e.code === 'UNKNOWN_ADAPTER' && /REDIS: unknown adapter name/.test(e.message));
  assert.throws(() => parseAdapterSet('mysql', 'encode'), (e: Error) => /unknown adapter "mysql"/.test(e.message));
  assert.throws(() => parseAdapterSet(',', 'decode'), (e: Error & { code?: string }) => e.code === 'NO_ADAPTERS');
  assert.throws(() => parseAdapterSet(' , ', 'encode'), (e: Error) => /selects no adapters/.test(e.message));
});

test('--memory-budget sizes', () => {
  assert.equal(parseSize('memory-budget', '256M'), 256 * 1024 * 1024);
  assert.equal(parseSize('memory-budget', '1GiB'), 1024 ** 3);
  assert.equal(parseSize('memory-budget', '1.5g'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('memory-budget', '2097152'), 2097152);
  for (const bad of ['', 'lots', '10X', '1000', '-5M']) assert.throws(() => parseSize('memory-budget', bad), userError, bad);
});
