// The error-code registry: every code documented (in the registry and README.md), every code reachable from src/,
// and the exit class of each error taken from the registry.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, type ErrorCode } from '../src/error-codes.ts';
import { DataError, exitCodeFor, UserError } from '../src/errors.ts';
import { renderErrorCodeTable, withTable } from '../scripts/error-codes-table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

function sources(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
    });
}

test('every code has a one-line meaning and an exit class', () => {
  assert.ok(CODES.length > 0);
  for (const code of CODES) {
    assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/, code);
    const { meaning } = ERROR_CODES[code];
    assert.ok(meaning.trim().length > 0 && !meaning.includes('\n'), `${code}: meaning must be one non-empty line`);
  }
});

test('README.md lists every code: its table is the one rendered from the registry', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = renderErrorCodeTable();
  assert.equal(readme, withTable(readme, table), 'README.md error-code table is stale: run npm run docs:error-codes');
  for (const code of CODES) assert.ok(readme.includes(`| \`${code}\` |`), code);
});

test('every registered code is reachable: used by some module of src/ besides the registry', () => {
  const used = new Set<string>();
  for (const file of sources(join(ROOT, 'src'))) {
    if (file.endsWith(join('src', 'error-codes.ts'))) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)) used.add(m[1] as string);
  }
  assert.deepEqual(
    CODES.filter((c) => !used.has(c)),
    [],
  );
});

test('an error takes its exit class from the registry; unregistered or wrong-class codes do not compile', () => {
  const d = new DataError('SNAPSHOT_TRUNCATED', 'x');
  const u = new UserError('FLAG_INVALID', 'x');
  assert.equal(d.exitClass, 'data');
  assert.equal(u.exitClass, 'user');
  assert.equal(exitCodeFor(d), 2);
  assert.equal(exitCodeFor(u), 1);
  // npm run typecheck fails if either of these compiles; at run time an unregistered code throws and the registry's
  // exit class wins over the constructor's.
  // @ts-expect-error an unregistered code
  assert.throws(() => new DataError('NOT_A_REGISTERED_CODE', 'x'), TypeError);
  // @ts-expect-error a code of exit class user given to DataError
  assert.equal(new DataError('FLAG_INVALID', 'x').exitClass, 'user');
});
