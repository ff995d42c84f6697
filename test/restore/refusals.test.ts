// Every refusal of prepare-restore, with the reference's exit class (1 usage/environment, 2 data) and our code,
// and the promise that a refused run leaves nothing at --data-dir or its temporary sibling.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareRestore } from '../../src/restore/prepare.ts';
import { isEkvError } from '../../src/errors.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { buildFsm, fsmHeader, rawEntry } from '../helpers/fsm.ts';

const TS = 0x0190_0000_0000_0000n;
const PEERS = 'n1=127.0.0.1:25051';

interface Info {
  sha?: string;
  keyFormat?: number;
  ran?: boolean;
  matched?: boolean;
  cluster?: string;
  version?: number;
}

function sidecar(payload: Buffer, i: Info = {}): string {
  const o: Record<string, unknown> = {
    format_version: i.version ?? 1,
    encoder_version: 'test',
    encoder_key_format_version: i.keyFormat ?? 1,
    wall_time_iso: '2026-12-04T00:00:00Z',
    input_root: 'tree',
    output_fsm_path: 'x.fsm',
    output_fsm_sha256: i.sha ?? createHash('sha256').update(payload).digest('hex'),
    last_commit_ts: 1,
    last_commit_ts_overridden: false,
    manifest_last_commit_ts: 1,
    adapters_enabled: ['redis'],
    self_test: { ran: i.ran ?? true, matched: i.matched ?? true },
  };
  if (i.cluster !== '') o.manifest_cluster_id = i.cluster ?? 'c1';
  return JSON.stringify(o);
}

interface Setup {
  readonly dir: string;
  readonly input: string;
  readonly dataDir: string;
}

/** A directory with a valid payload and sidecar; `payload`/`info` replace them. */
async function setup(payload: Buffer = buildFsm(TS, [{ key: 'k', value: 'v' }]), info?: string): Promise<Setup> {
  const dir = await tempDir('ekv-restore-ref-');
  const input = join(dir, 'x.fsm');
  await fsp.writeFile(input, payload);
  await fsp.writeFile(`${input}.encode_info.json`, info ?? sidecar(payload));
  return { dir, input, dataDir: join(dir, 'n1') };
}

const base = (s: Setup, extra: readonly string[] = []): string[] => ['--input', s.input, '--data-dir', s.dataDir, '--index', '5', '--peers', PEERS, '--target-cluster-id', 'c1', ...extra];

async function refuse(s: Setup, args: readonly string[], exit: 1 | 2, code: string): Promise<void> {
  const r = await runCli('elastickv-snapshot-prepare-restore', args);
  assert.equal(r.code, exit, r.stderr);
  assert.match(r.stderr, new RegExp(`error \\[${code}\\]: `), r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
  await assert.rejects(fsp.lstat(s.dataDir), /ENOENT/, 'nothing at --data-dir');
  await assert.rejects(fsp.lstat(`${s.dataDir}.restore-prep`), /ENOENT/, 'no temporary sibling left');
}

test('a valid run succeeds (the baseline every refusal below departs from)', async () => {
  const s = await setup();
  const r = await runCli('elastickv-snapshot-prepare-restore', base(s));
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await fsp.stat(join(s.dataDir, 'fsm-snap', '0000000000000005.fsm'))).isFile());
});

test('flag refusals exit 1 before anything is read', async () => {
  const s = await setup();
  const cases: [string[], string][] = [
    [['--data-dir', s.dataDir, '--index', '5', '--peers', PEERS], '--input is required'],
    [['--input', s.input, '--index', '5', '--peers', PEERS], '--data-dir is required'],
    [['--input', s.input, '--data-dir', s.dataDir, '--peers', PEERS], '--index must be > 0'],
    [['--input', s.input, '--data-dir', s.dataDir, '--index', '0', '--peers', PEERS], '--index must be > 0'],
    [['--input', s.input, '--data-dir', s.dataDir, '--index', '5', '--term', '0', '--peers', PEERS], '--term must be > 0'],
    [['--input', s.input, '--data-dir', s.dataDir, '--index', '5'], '--peers is required'],
    [['--input', s.input, '--data-dir', s.dataDir, '--index', '5', '--peers', ' \t'], '--peers is required'],
    [[...base(s), '--fresh-cluster'], 'mutually exclusive'],
    [[...base(s), '--index', '-1'], 'invalid value'],
    [[...base(s), '--no-such-flag'], 'flag provided but not defined'],
  ];
  for (const [args, why] of cases) {
    const r = await runCli('elastickv-snapshot-prepare-restore', args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /error \[FLAG_INVALID\]/);
    assert.ok(r.stderr.includes(why), `${why} in ${r.stderr}`);
  }
  await assert.rejects(fsp.lstat(s.dataDir), /ENOENT/);
});

test('--index parses as Go does (base prefixes): 010 is 8', async () => {
  const s = await setup();
  const r = await runCli('elastickv-snapshot-prepare-restore', [...base(s), '--index', '010']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await fsp.stat(join(s.dataDir, 'fsm-snap', '0000000000000008.fsm'))).isFile());
});

test('sidecar refusals: missing, symlink, FIFO, directory (1); too large, malformed, unsupported version (2)', async () => {
  let s = await setup();
  await fsp.rm(`${s.input}.encode_info.json`);
  await refuse(s, base(s), 1, 'INPUT_MISSING');

  s = await setup();
  await fsp.rename(`${s.input}.encode_info.json`, join(s.dir, 'real.json'));
  await fsp.symlink(join(s.dir, 'real.json'), `${s.input}.encode_info.json`);
  await refuse(s, base(s), 1, 'RESTORE_INPUT_INVALID');

  s = await setup();
  await fsp.rm(`${s.input}.encode_info.json`);
  execFileSync('mkfifo', [`${s.input}.encode_info.json`]);
  await refuse(s, base(s), 1, 'RESTORE_INPUT_INVALID');

  s = await setup();
  await refuse(s, [...base(s), '--encode-info', s.dir], 1, 'RESTORE_INPUT_INVALID');

  s = await setup();
  await fsp.writeFile(`${s.input}.encode_info.json`, ' '.repeat((1 << 20) + 1));
  await refuse(s, base(s), 2, 'RESTORE_ENCODE_INFO_TOO_LARGE');

  s = await setup();
  await fsp.writeFile(`${s.input}.encode_info.json`, '{');
  await refuse(s, base(s), 2, 'ENCODE_INFO_INVALID');

  const p = buildFsm(TS, []);
  s = await setup(p, sidecar(p, { version: 2 }));
  await refuse(s, base(s), 2, 'ENCODE_INFO_UNSUPPORTED_VERSION');
});

test('a sidecar of exactly 1 MiB is read', async () => {
  const p = buildFsm(TS, []);
  const body = sidecar(p);
  const s = await setup(p, body + ' '.repeat((1 << 20) - body.length));
  const r = await runCli('elastickv-snapshot-prepare-restore', base(s));
  assert.equal(r.code, 0, r.stderr);
});

test('payload refusals: symlink, FIFO, missing (1); every reader error and the commit-ts ceiling (2)', async () => {
  let s = await setup();
  await fsp.rename(s.input, join(s.dir, 'real.fsm'));
  await fsp.symlink(join(s.dir, 'real.fsm'), s.input);
  await refuse(s, base(s), 1, 'RESTORE_INPUT_INVALID');

  s = await setup();
  await fsp.rm(s.input);
  execFileSync('mkfifo', [s.input]);
  await refuse(s, base(s), 1, 'RESTORE_INPUT_INVALID');

  s = await setup();
  await refuse(s, [...base(s), '--input', join(s.dir, 'absent.fsm'), '--encode-info', `${s.input}.encode_info.json`], 1, 'INPUT_MISSING');

  const data: [string, Buffer, string][] = [
    ['empty file', Buffer.alloc(0), 'SNAPSHOT_TRUNCATED'],
    ['short header', fsmHeader(TS).subarray(0, 12), 'SNAPSHOT_TRUNCATED'],
    ['bad magic', Buffer.from('NOTMAGIC\0\0\0\0\0\0\0\0', 'latin1'), 'SNAPSHOT_BAD_MAGIC'],
    ['a node fsm-snap file', Buffer.concat([Buffer.from('EKVTHLC1', 'latin1'), Buffer.alloc(8), buildFsm(TS, []), Buffer.alloc(4)]), 'SNAPSHOT_BAD_MAGIC'],
    ['truncated entry', buildFsm(TS, [{ key: 'k', value: 'v' }]).subarray(0, 30), 'SNAPSHOT_TRUNCATED'],
    ['trailing footer', Buffer.concat([buildFsm(TS, []), Buffer.from([0x12, 0x34, 0x56, 0x78])]), 'SNAPSHOT_TRUNCATED'],
    ['entry above header ts', buildFsm(TS, [{ key: 'k', value: 'v', commitTs: TS + 1n }]), 'RESTORE_COMMIT_TS_ABOVE_HEADER'],
    ['encrypted entry', buildFsm(TS, [{ key: 'k', value: 'v', flags: 0x02 }]), 'SNAPSHOT_ENCRYPTED_ENTRY'],
    ['reserved flags', buildFsm(TS, [{ key: 'k', value: 'v', flags: 0x08 }]), 'SNAPSHOT_ENCRYPTED_RESERVED'],
    ['short key', Buffer.concat([fsmHeader(TS), rawEntry(Buffer.from('abc'), Buffer.alloc(9))]), 'SNAPSHOT_SHORT_KEY'],
    ['_meta row of a live database', Buffer.concat([fsmHeader(TS), rawEntry(Buffer.from('_meta_last_commit_ts'), Buffer.alloc(8))]), 'SNAPSHOT_SHORT_VALUE'],
  ];
  for (const [why, payload, code] of data) {
    s = await setup(payload);
    await refuse(s, base(s), 2, code).catch((err: unknown) => {
      throw new Error(`${why}: ${(err as Error).message}`);
    });
  }
});

test('sidecar-against-payload refusals exit 2, and the flags that relax them', async () => {
  const p = buildFsm(TS, [{ key: 'k', value: 'v' }]);
  const sha = createHash('sha256').update(p).digest('hex');
  const cases: [Info, string[], string][] = [
    [{ sha: '' }, [], 'RESTORE_SHA256_MISSING'],
    [{ sha: '0'.repeat(64) }, [], 'RESTORE_SHA256_MISMATCH'],
    [{ keyFormat: 2 }, [], 'RESTORE_KEY_FORMAT_MISMATCH'],
    [{ ran: false, matched: false }, [], 'RESTORE_SELF_TEST_MISSING'],
    [{ ran: true, matched: false }, [], 'RESTORE_SELF_TEST_MISSING'],
    [{ cluster: '' }, [], 'RESTORE_CLUSTER_ID_MISSING'],
    [{ cluster: 'c2' }, [], 'RESTORE_CLUSTER_ID_MISMATCH'],
  ];
  for (const [info, extra, code] of cases) {
    const s = await setup(p, sidecar(p, info));
    await refuse(s, base(s, extra), 2, code);
  }
  let s = await setup(p);
  await refuse(s, ['--input', s.input, '--data-dir', s.dataDir, '--index', '5', '--peers', PEERS], 2, 'RESTORE_CLUSTER_ID_MISSING');

  const accepted: [Info, string[]][] = [
    [{ sha: sha.toUpperCase() }, []],
    [{ ran: false, matched: false }, ['--allow-unverified-self-test']],
    [{ cluster: '' }, ['--allow-missing-cluster-id']],
  ];
  for (const [info, extra] of accepted) {
    s = await setup(p, sidecar(p, info));
    const r = await runCli('elastickv-snapshot-prepare-restore', base(s, extra));
    assert.equal(r.code, 0, `${JSON.stringify(info)}: ${r.stderr}`);
  }
  s = await setup(p, sidecar(p, { cluster: 'anything' }));
  const r = await runCli('elastickv-snapshot-prepare-restore', ['--input', s.input, '--data-dir', s.dataDir, '--index', '5', '--peers', PEERS, '--fresh-cluster']);
  assert.equal(r.code, 0, r.stderr);
});

test('peer refusals exit 1, after the payload checks (as in the reference)', async () => {
  for (const peers of ['n1', '=a', 'n1=', 'n1=a,n1=b', ',', ' , ']) {
    const s = await setup();
    await refuse(s, [...base(s), '--peers', peers], 1, 'RESTORE_PEERS_INVALID');
  }
  const s = await setup(buildFsm(TS, [{ key: 'k', value: 'v', commitTs: TS + 1n }]));
  await refuse(s, [...base(s), '--peers', 'bad'], 2, 'RESTORE_COMMIT_TS_ABOVE_HEADER');
});

test('an HLC ceiling without a successor exits 2; one just below it is accepted', async () => {
  let s = await setup(buildFsm(0xffff_ffff_ffff_0000n, []));
  await refuse(s, base(s), 2, 'RESTORE_HLC_CEILING_OVERFLOW');
  s = await setup(buildFsm(0xffff_ffff_fffe_ffffn, []));
  assert.equal((await runCli('elastickv-snapshot-prepare-restore', base(s))).code, 0);
});

test('an existing destination or temporary sibling exits 1 and is left untouched', async () => {
  let s = await setup();
  await fsp.mkdir(s.dataDir);
  await fsp.writeFile(join(s.dataDir, 'keep'), 'x');
  let r = await runCli('elastickv-snapshot-prepare-restore', base(s));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /RESTORE_DESTINATION_EXISTS/);
  assert.equal(await fsp.readFile(join(s.dataDir, 'keep'), 'utf8'), 'x');

  s = await setup();
  await fsp.mkdir(s.dataDir);
  r = await runCli('elastickv-snapshot-prepare-restore', base(s));
  assert.equal(r.code, 1, 'even an empty directory is refused');

  s = await setup();
  await fsp.symlink('/nonexistent', s.dataDir);
  r = await runCli('elastickv-snapshot-prepare-restore', base(s));
  assert.equal(r.code, 1, 'a dangling symlink is refused');

  s = await setup();
  await fsp.mkdir(`${s.dataDir}.restore-prep`);
  await fsp.writeFile(join(`${s.dataDir}.restore-prep`, 'keep'), 'x');
  r = await runCli('elastickv-snapshot-prepare-restore', base(s));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /RESTORE_DESTINATION_EXISTS.*restore-prep/);
  assert.equal(await fsp.readFile(join(`${s.dataDir}.restore-prep`, 'keep'), 'utf8'), 'x');
  await assert.rejects(fsp.lstat(s.dataDir), /ENOENT/);

  s = await setup();
  r = await runCli('elastickv-snapshot-prepare-restore', [...base(s), '--data-dir', join(s.dir, 'absent-parent', 'n1')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /\[RESTORE_IO_FAILED\]: .*absent-parent.*ENOENT/);
});

test('a payload that changes after validation exits 2 and leaves nothing (second SHA-256 during the copy)', async () => {
  const s = await setup();
  const err = await prepareRestore({
    input: s.input,
    dataDir: s.dataDir,
    index: 5n,
    term: 1n,
    peers: PEERS,
    targetClusterId: 'c1',
    freshCluster: false,
    allowMissingClusterId: false,
    allowUnverifiedSelfTest: false,
    afterValidate: async () => {
      await fsp.writeFile(s.input, buildFsm(TS, [{ key: 'k', value: 'changed' }]));
    },
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isEkvError(err) && err.code === 'RESTORE_PAYLOAD_CHANGED' && err.exitClass === 'data', String(err));
  await assert.rejects(fsp.lstat(s.dataDir), /ENOENT/);
  await assert.rejects(fsp.lstat(`${s.dataDir}.restore-prep`), /ENOENT/);
});
