// MANIFEST.json (core.md §3.5): exact bytes of the decode manifest, and the reader's gates in their order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseManifest, phase0Manifest, renderManifest } from '../../src/tree/manifest.ts';
import { formatRfc3339Nano, isRfc3339Nano } from '../../src/tree/wall-time.ts';

const EXCL = {
  includeIncompleteUploads: false,
  includeOrphans: false,
  preserveSqsVisibility: false,
  includeSqsSideRecords: false,
  renameS3Collisions: false,
};

const SPEC_EXAMPLE = `{
  "format_version": 1,
  "phase": "phase0-snapshot-decode",
  "elastickv_version": "dev",
  "cluster_id": "ek-test",
  "snapshot_index": 64,
  "last_commit_ts": 1,
  "wall_time_iso": "2026-04-29T15:42:11.094Z",
  "source": {
    "fsm_path": "/data/0000000000000064.fsm"
  },
  "adapters": {
    "dynamodb": {},
    "s3": {},
    "redis": {},
    "sqs": {}
  },
  "exclusions": {
    "include_incomplete_uploads": false,
    "include_orphans": false,
    "preserve_sqs_visibility": false,
    "include_sqs_side_records": false
  },
  "checksum_algorithm": "sha256",
  "checksum_format": "sha256sum",
  "encoded_filename_charset": "rfc3986-unreserved-plus-percent",
  "key_segment_max_bytes": 240,
  "s3_meta_suffix": ".elastickv-meta.json",
  "s3_collision_strategy": "leaf-data-suffix",
  "dynamodb_layout": "per-item"
}
`;

const example = () =>
  phase0Manifest({
    clusterId: 'ek-test',
    snapshotIndex: 64n,
    lastCommitTs: 1n,
    fsmPath: '/data/0000000000000064.fsm',
    adapters: ['redis', 'sqs', 'dynamodb', 's3'],
    exclusions: EXCL,
    dynamodbLayout: 'per-item',
    wallTime: new Date('2026-04-29T15:42:11.094Z'),
  });

const withField = (key: string, raw: string | undefined): Buffer => {
  const lines = SPEC_EXAMPLE.split('\n').filter((l) => !l.startsWith(`  "${key}":`));
  if (raw !== undefined) lines.splice(1, 0, `  "${key}": ${raw},`);
  return Buffer.from(lines.join('\n'));
};

const fails = (bytes: Buffer, code: string, re: RegExp) => {
  assert.throws(
    () => parseManifest(bytes),
    (err: Error & { code?: string }) => err.code === code && re.test(err.message),
    re.source,
  );
};

test('the decode manifest renders byte for byte as the spec example (adapter order fixed, omitempty)', () => {
  assert.equal(renderManifest(example()), SPEC_EXAMPLE);
  const bare = renderManifest(phase0Manifest({ lastCommitTs: 0n, fsmPath: 'x', adapters: ['redis'], exclusions: { ...EXCL, renameS3Collisions: true }, dynamodbLayout: 'jsonl', wallTime: new Date('2026-01-01T00:00:00Z') }));
  assert.ok(!bare.includes('cluster_id') && !bare.includes('snapshot_index') && !bare.includes('last_commit_ts'));
  assert.ok(bare.includes('"wall_time_iso": "2026-01-01T00:00:00Z"'));
  assert.ok(bare.includes('"include_sqs_side_records": false,\n    "rename_s3_collisions": true'));
  assert.ok(bare.includes('"redis": {}\n  },'));
});

test('parse reads back what render wrote', () => {
  const m = parseManifest(Buffer.from(SPEC_EXAMPLE));
  assert.equal(m.snapshotIndex, 64n);
  assert.equal(m.clusterId, 'ek-test');
  assert.deepEqual(Object.keys(m.adapters ?? {}), ['dynamodb', 's3', 'redis', 'sqs']);
  assert.equal(renderManifest(m), SPEC_EXAMPLE);
});

test('format_version gates come first: missing, null, wrong type, zero, newer', () => {
  fails(withField('format_version', undefined), 'MANIFEST_INVALID', /format_version missing/);
  fails(withField('format_version', 'null'), 'MANIFEST_INVALID', /format_version is null/);
  fails(withField('format_version', '"1"'), 'MANIFEST_INVALID', /./);
  fails(withField('format_version', '1.5'), 'MANIFEST_INVALID', /./);
  fails(withField('format_version', '4294967296'), 'MANIFEST_INVALID', /./);
  fails(withField('format_version', '0'), 'MANIFEST_UNSUPPORTED_VERSION', /format_version is zero/);
  fails(withField('format_version', '2'), 'MANIFEST_UNSUPPORTED_VERSION', /2 > current 1/);
  // A newer version wins over a type mismatch elsewhere.
  fails(Buffer.from(withField('format_version', '2').toString().replace('"phase": "phase0-snapshot-decode"', '"phase": 7')), 'MANIFEST_UNSUPPORTED_VERSION', /newer producer/);
});

test('structure and required fields', () => {
  fails(Buffer.from('[]'), 'MANIFEST_INVALID', /not a JSON object/);
  fails(Buffer.from(`${SPEC_EXAMPLE}{}`), 'MANIFEST_INVALID', /./);
  fails(withField('phase', '"phase9"'), 'MANIFEST_INVALID', /unknown phase "phase9"/);
  fails(withField('wall_time_iso', '"yesterday"'), 'MANIFEST_INVALID', /wall_time_iso/);
  fails(Buffer.from(SPEC_EXAMPLE.replace('"per-item"', '"csv"')), 'MANIFEST_INVALID', /dynamodb_layout "csv" unsupported/);
  fails(withField('key_segment_max_bytes', '0'), 'MANIFEST_INVALID', /key_segment_max_bytes/);
  fails(Buffer.from(SPEC_EXAMPLE.replace('"adapters": {', '"adapters": null, "x": {')), 'MANIFEST_INVALID', /adapters section missing/);
  fails(Buffer.from(SPEC_EXAMPLE.replace('    "include_orphans": false,\n', '')), 'MANIFEST_INVALID', /exclusions.include_orphans missing \(cannot infer producer-side default\)/);
  fails(Buffer.from(SPEC_EXAMPLE.replace('"include_orphans": false', '"include_orphans": null')), 'MANIFEST_INVALID', /exclusions.include_orphans is null/);
  fails(Buffer.from(SPEC_EXAMPLE.replace('"last_commit_ts": 1', '"last_commit_ts": -1')), 'MANIFEST_INVALID', /./);
});

test('Go decoding quirks: case-insensitive field match, last duplicate wins, unknown keys ignored, big integers exact', () => {
  const m = parseManifest(Buffer.from(SPEC_EXAMPLE.replace('"cluster_id": "ek-test"', '"Cluster_ID": "a", "cluster_id": "b", "future_field": [1]').replace('"last_commit_ts": 1', '"last_commit_ts": 18446744073709551615')));
  assert.equal(m.clusterId, 'b');
  assert.equal(m.lastCommitTs, 18446744073709551615n);
  assert.equal(parseManifest(Buffer.from(SPEC_EXAMPLE.replace('"cluster_id": "ek-test"', '"CLUSTER_ID": "up"'))).clusterId, 'up');
});

test('RFC3339Nano wall time as Go prints it: trailing zeros trimmed, no fraction when zero', () => {
  assert.equal(formatRfc3339Nano(new Date('2026-04-29T15:42:11.000Z')), '2026-04-29T15:42:11Z');
  assert.equal(formatRfc3339Nano(new Date('2026-04-29T15:42:11.100Z')), '2026-04-29T15:42:11.1Z');
  assert.equal(formatRfc3339Nano(new Date('2026-04-29T15:42:11.094Z')), '2026-04-29T15:42:11.094Z');
  assert.equal(formatRfc3339Nano(new Date('0007-01-02T03:04:05.006Z')), '0007-01-02T03:04:05.006Z');
  // The same text as the form built from toISOString (all it writes for years 0-9999; other years go through it).
  const viaIso = (d: Date): string => {
    const iso = d.toISOString();
    const frac = iso.slice(20, 23).replace(/0+$/, '');
    return frac === '' ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 19)}.${frac}Z`;
  };
  fc.assert(
    fc.property(fc.oneof(fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), fc.date({ noInvalidDate: true })), (d) => {
      assert.equal(formatRfc3339Nano(d), viaIso(d));
    }),
    { examples: [[new Date(0)], [new Date('0000-01-01T00:00:00.000Z')], [new Date('9999-12-31T23:59:59.999Z')], [new Date('+010000-01-01T00:00:00.010Z')]] },
  );
  assert.throws(() => formatRfc3339Nano(new Date(NaN)), RangeError);
  for (const ok of ['2026-04-29T15:42:11Z', '2026-04-29T15:42:11.123456789Z', '2026-04-29T15:42:11+02:00']) assert.ok(isRfc3339Nano(ok), ok);
  for (const bad of ['2026-04-29', '2026-04-29 15:42:11Z', '2026-13-29T15:42:11Z']) assert.ok(!isRfc3339Nano(bad), bad);
});
