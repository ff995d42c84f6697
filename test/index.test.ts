// The public API, imported by package name as a consumer would (the test runner resolves 'elastickv-snapshot'
// through package.json's exports, to the sources; .ci/run checks the same imports from a packed tarball).
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as lib from 'elastickv-snapshot';
import {
  ALL_ADAPTERS,
  DataError,
  decodeSnapshot,
  encodeSnapshot,
  exitCodeFor,
  isEkvError,
  packTree,
  SnapshotReader,
  unpackArchive,
  type DecodeResult,
  type EncodeResult,
} from 'elastickv-snapshot';
import { tempDir } from './helpers/adapter-harness.ts';

const SAMPLE = fileURLToPath(new URL('../examples/sample.fsm', import.meta.url));

test('the package name resolves to src/index.ts through its exports map', () => {
  assert.equal(import.meta.resolve('elastickv-snapshot'), new URL('../src/index.ts', import.meta.url).href);
});

test('runtime surface: every supported value is exported and defined', () => {
  const expected = [
    'ALL_ADAPTERS',
    'DECODE_ORDER',
    'DEFAULT_MAX_BYTES',
    'DEFAULT_MAX_ENTRIES',
    'LocalStore',
    'S3Store',
    'decodeToArchive',
    'packTree',
    'publishSnapshot',
    'restoreSnapshot',
    'unpackArchive',
    'withUnpackedArchive',
    'DEFAULT_DECODE_SWITCHES',
    'DEFAULT_MEMORY_BUDGET',
    'DataError',
    'ENCODE_ORDER',
    'ERROR_CODES',
    'EkvError',
    'PACKAGE_VERSION',
    'InputRange',
    'SnapshotReader',
    'SnapshotWriter',
    'UserError',
    'VersionResolver',
    'commitTsOf',
    'decodeSnapshot',
    'dynamodbAdapter',
    'encodeMvccKey',
    'encodeMvccValue',
    'encodeSnapshot',
    'exitCodeFor',
    'inspectSnapshot',
    'isEkvError',
    'planEncode',
    'redisAdapter',
    's3Adapter',
    'sqsAdapter',
    'verifyFsm',
    'verifyPath',
    'verifyTree',
  ];
  for (const name of expected) assert.notEqual((lib as Record<string, unknown>)[name], undefined, name);
  assert.deepEqual(
    ALL_ADAPTERS.map((a) => a.name).sort(),
    ['dynamodb', 'redis', 's3', 'sqs'],
  );
});

test('decode then encode the bundled sample with defaults: byte-identical snapshot', async () => {
  const dir = await tempDir('ekv-index-');
  const decoded: DecodeResult = await decodeSnapshot({ input: SAMPLE, output: join(dir, 'tree') });
  assert.ok(decoded.counters.total > 0n);
  const encoded: EncodeResult = await encodeSnapshot({ input: join(dir, 'tree'), output: join(dir, 'out.fsm'), selfTest: true });
  assert.equal(encoded.selfTest.matched, true);
  assert.deepEqual(await fsp.readFile(join(dir, 'out.fsm')), await fsp.readFile(SAMPLE));
});

test('archives by package name: packTree writes the decoded sample as tar+zstd, unpackArchive restores and verifies it', async () => {
  const dir = await tempDir('ekv-index-archive-');
  await decodeSnapshot({ input: SAMPLE, output: join(dir, 'tree') });
  const packed = await packTree(join(dir, 'tree'), createWriteStream(join(dir, 'tree.tar.zst')), 'zstd');
  const unpacked = await unpackArchive(createReadStream(join(dir, 'tree.tar.zst')), join(dir, 'back'), { source: 'tree.tar.zst' });
  assert.equal(unpacked.compression, 'zstd');
  assert.equal(unpacked.files, packed.files);
  assert.equal(unpacked.verified, packed.files - 1); // every file but CHECKSUMS itself
  assert.deepEqual(await fsp.readFile(join(dir, 'back', 'CHECKSUMS')), await fsp.readFile(join(dir, 'tree', 'CHECKSUMS')));
});

test('SnapshotReader streams the sample; its errors are coded EkvErrors with exit class data', async () => {
  const reader = new SnapshotReader(createReadStream(SAMPLE), { path: SAMPLE });
  const header = await reader.header();
  let rows = 0;
  for await (const r of reader.records()) if (r.type === 'entry') rows++;
  assert.ok(rows > 0);
  assert.ok(header.lastCommitTs > 0n);

  const bad = new SnapshotReader((async function* () {
    yield Buffer.from('not a snapshot!!');
  })());
  const err: unknown = await bad.header().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isEkvError(err) && err instanceof DataError);
  assert.equal(err.code, 'SNAPSHOT_BAD_MAGIC');
  assert.equal(exitCodeFor(err), 2);
});

test('TSDoc: every export of src/index.ts is documented where it is declared', () => {
  const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const program = ts.createProgram([index], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(index);
  assert.ok(source !== undefined);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  assert.ok(moduleSymbol !== undefined);
  const exported = checker.getExportsOfModule(moduleSymbol);
  assert.ok(exported.length >= 50, `only ${exported.length} exports found`);
  const undocumented = exported
    .filter((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return ts.displayPartsToString(target.getDocumentationComment(checker)).trim() === '';
    })
    .map((s) => s.name);
  assert.deepEqual(undocumented, []);
});
