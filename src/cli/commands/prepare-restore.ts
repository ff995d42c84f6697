// `prepare-restore` / `elastickv-snapshot-prepare-restore`: an encoded payload and its ENCODE_INFO sidecar →
// a fresh raft data directory a stopped node boots from (spec core.md §5.5; the reference's
// cmd/elastickv-snapshot-prepare-restore). Same flags, checks, exit classes and output files.

import { UserError } from '../../errors.ts';
import { prepareRestore, type PrepareRestoreResult } from '../../restore/prepare.ts';
import { flagBool, flagString, renderHelp, type FlagSpecs, type ParsedFlags } from '../go-flags.ts';
import { commandFlags } from '../command.ts';
import type { CliIO } from '../io.ts';
import type { GoStruct } from '../../json/go-json.ts';
import { JSON_FLAG, writeSummary } from '../summary.ts';

/** The flags every restore command shares (where the data directory goes and who its peers are). */
export const RESTORE_TARGET_FLAGS: FlagSpecs = {
  'data-dir': { type: 'string', value: 'DIR', help: 'fresh raft data directory to create (required; must not exist)' },
  index: { type: 'uint64', value: 'N', help: 'raft index stamped into the snap and fsm-snap files (required, > 0)' },
  term: { type: 'uint64', value: 'N', default: '1', help: 'raft term stamped into the .snap file' },
  peers: { type: 'string', value: 'LIST', help: 'raft peers id=addr,id=addr (required); node ids are derived from the ids' },
  'target-cluster-id': { type: 'string', value: 'ID', help: "expected cluster id of the target (must equal the snapshot's)" },
  'fresh-cluster': { type: 'bool', help: 'restore into a brand-new cluster that has no cluster id yet' },
  'allow-missing-cluster-id': { type: 'bool', help: 'accept a snapshot whose ENCODE_INFO has no manifest_cluster_id' },
};

const PREPARE_RESTORE_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'FILE', help: 'encoded EKVPBBL1 .fsm payload from encode (required)' },
  'encode-info': { type: 'string', value: 'FILE', help: 'ENCODE_INFO sidecar (default <input>.encode_info.json)' },
  ...RESTORE_TARGET_FLAGS,
  'allow-unverified-self-test': { type: 'bool', help: 'accept an ENCODE_INFO whose encoder self-test did not run or did not match' },
  json: { ...JSON_FLAG, help: `extension: ${JSON_FLAG.help}` },
};

const DESCRIPTION = `Turns an encoded .fsm payload into a fresh etcd-raft data directory that a stopped node boots from:
fsm-snap/<index>.fsm, snap/<term>-<index>.snap, wal/, etcd-raft-peers.bin. Checks the sidecar (SHA-256, key
format, self-test, cluster id) and every entry of the payload first; builds the directory in
<data-dir>.restore-prep and renames it into place, so a failure leaves nothing at --data-dir.
Exit codes: 0 success, 1 usage or environment error, 2 data-correctness error.`;

export function prepareRestoreHelp(prog: string): string {
  return renderHelp(`${prog} --input FILE.fsm --data-dir DIR --index N --peers id=addr[,id=addr...] [flags]`, DESCRIPTION, PREPARE_RESTORE_FLAGS);
}

/** The target flags as prepareRestore options (flag rules themselves are checked by prepareRestore). */
export function restoreTargetOf(flags: ParsedFlags) {
  const dataDir = flagString(flags, 'data-dir');
  if (dataDir === '') throw new UserError('FLAG_INVALID', '--data-dir is required');
  return {
    dataDir,
    index: flags.values.get('index') as bigint,
    term: flags.given.has('term') ? (flags.values.get('term') as bigint) : 1n,
    peers: flagString(flags, 'peers'),
    targetClusterId: flagString(flags, 'target-cluster-id'),
    freshCluster: flagBool(flags, 'fresh-cluster'),
    allowMissingClusterId: flagBool(flags, 'allow-missing-cluster-id'),
  };
}

/** Renders a value the way Go's slog TextHandler does: bare unless it needs quoting. */
function slogValue(v: string | number | bigint): string {
  const s = String(v);
  return s === '' || /[\s="\\]|[^\x21-\x7e]/.test(s) ? JSON.stringify(s) : s;
}

/** The reference's success line (slog text format on stderr), so scripts that read it keep working. */
function preparedLine(r: PrepareRestoreResult): string {
  const fields: [string, string | number | bigint][] = [
    ['data_dir', r.dataDir],
    ['fsm', r.fsmPath],
    ['snap', r.snapPath],
    ['crc32c', r.crc32c.toString(16).padStart(8, '0')],
    ['payload_sha256', r.payloadSha256],
    ['payload_bytes', r.payloadBytes],
    ['last_commit_ts', r.lastCommitTs],
    ['peers', r.peers.length],
  ];
  return `time=${new Date().toISOString()} level=INFO msg="snapshot restore data dir prepared" ${fields.map(([k, v]) => `${k}=${slogValue(v)}`).join(' ')}\n`;
}

/** What any restore reports of the data directory it prepared (offload restore knows no last_commit_ts). */
type PreparedDir = Pick<PrepareRestoreResult, 'dataDir' | 'fsmPath' | 'snapPath' | 'crc32c' | 'payloadSha256' | 'payloadBytes'> & {
  readonly lastCommitTs?: bigint;
};

/** The prepared data directory as the --json summary's fields (prepare-restore, restore, offload restore). */
export function preparedJson(r: PreparedDir, peers: number): GoStruct {
  return {
    data_dir: r.dataDir,
    fsm: r.fsmPath,
    snap: r.snapPath,
    crc32c: r.crc32c.toString(16).padStart(8, '0'),
    payload_sha256: r.payloadSha256,
    payload_bytes: BigInt(r.payloadBytes),
    ...(r.lastCommitTs !== undefined ? { last_commit_ts: r.lastCommitTs } : {}),
    peers: BigInt(peers),
  };
}

/** The success report: the reference's line on stderr, or with --json the summary on stdout. */
export function reportPrepared(
  io: CliIO,
  json: boolean,
  command: string,
  r: PrepareRestoreResult,
  extra: GoStruct = {},
): void {
  if (json) writeSummary(io, true, '', { command, ...extra, ...preparedJson(r, r.peers.length) }, []);
  else io.stderr.write(preparedLine(r));
}

export async function prepareRestoreCommand(args: readonly string[], io: CliIO, prog: string): Promise<number> {
  const flags = commandFlags(args, PREPARE_RESTORE_FLAGS, io, () => prepareRestoreHelp(prog));
  if (flags === undefined) return 0;
  const input = flagString(flags, 'input');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  const encodeInfo = flagString(flags, 'encode-info');
  const result = await prepareRestore({
    input,
    ...(encodeInfo !== '' ? { encodeInfo } : {}),
    ...restoreTargetOf(flags),
    allowUnverifiedSelfTest: flagBool(flags, 'allow-unverified-self-test'),
  });
  reportPrepared(io, flagBool(flags, 'json'), 'prepare-restore', result, { input });
  return 0;
}
