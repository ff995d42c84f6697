// `offload publish|restore` / `elastickv-snapshot-offload publish|restore`: physical snapshots through an object
// store, with the reference tool's flags (cmd/elastickv-snapshot-offload) and object layout.

import { UserError } from '../../errors.ts';
import { publishSnapshot } from '../../offload/publish.ts';
import { restoreSnapshot } from '../../offload/restore.ts';
import { S3Store } from '../../offload/s3-store.ts';
import { S3_FLAGS, s3OptionsFromFlags } from '../../offload/s3-flags.ts';
import { flagValues } from '../adapter-flags.ts';
import { LocalStore, type ObjectStore } from '../../offload/store.ts';
import { flagBool, flagString, parseGoFlags, renderHelp, type FlagSpecs, type ParsedFlags } from '../go-flags.ts';
import type { CliIO } from '../io.ts';
import { humanBytes } from '../progress.ts';
import { writeSummary } from '../summary.ts';
import { preparedJson } from './prepare-restore.ts';

/** The object-store flags of the reference. */
const STORE_FLAGS: FlagSpecs = {
  store: { type: 'string', value: 'KIND', default: 'local', help: 'object store backend: local or s3' },
  'local-root': { type: 'string', value: 'DIR', help: 'local object store root when --store=local' },
  's3-bucket': { type: 'string', value: 'NAME', help: 'S3 bucket when --store=s3' },
  ...S3_FLAGS,
  json: { type: 'bool', help: 'extension: print the summary as one JSON document on stdout (publish: instead of the manifest, which it includes) instead of a line on stderr' },
};

const PUBLISH_FLAGS: FlagSpecs = {
  ...STORE_FLAGS,
  'data-dir': { type: 'string', value: 'DIR', help: 'source raft data directory containing a persisted snapshot (required)' },
  prefix: { type: 'string', value: 'PREFIX', help: 'object key prefix for published snapshot objects' },
  'group-id': { type: 'uint64', help: 'raft group ID recorded in the manifest' },
  'source-cluster': { type: 'string', value: 'ID', help: 'source cluster identifier (required for group 0 manifests)' },
  'binary-version': { type: 'string', value: 'VERSION', help: 'binary version recorded in the manifest' },
  'spool-dir': { type: 'string', value: 'DIR', help: 'temporary spool directory for the payload stream' },
};

const RESTORE_FLAGS: FlagSpecs = {
  ...STORE_FLAGS,
  'manifest-key': { type: 'string', value: 'KEY', help: 'object key of the snapshot manifest to restore (required)' },
  'data-dir': { type: 'string', value: 'DIR', help: 'fresh target raft data directory to create (required; must not already exist)' },
  peers: { type: 'string', value: 'LIST', help: 'comma-separated raft peers id=addr,id=addr (required)' },
};

const DESCRIPTION = `publish: uploads the newest persisted snapshot of a raft data directory (payload under its SHA-256, then a
self-hashed manifest) and prints the manifest. restore: downloads a manifest and its payload, verifies both, and
prepares a fresh raft data directory from them. Same object layout and manifest as the reference tool.
Credentials: the AWS SDK's standard chain (environment, shared config/credentials files, --s3-profile, SSO,
container and instance roles).
Exit codes: 0 success, 1 usage or environment error (credentials, missing bucket), 2 integrity or data error.`;

export function offloadHelp(prog: string): string {
  return `${renderHelp(`${prog} publish [flags]`, DESCRIPTION, PUBLISH_FLAGS)}\n${renderHelp(`${prog} restore [flags]`, 'Restore flags:', RESTORE_FLAGS)}`;
}

/** The store the flags select. */
function storeFromFlags(flags: ParsedFlags): ObjectStore {
  const kind = flagString(flags, 'store');
  if (kind === 'local') {
    const root = flagString(flags, 'local-root');
    if (root.trim() === '') throw new UserError('FLAG_INVALID', '--local-root is required when --store=local');
    return new LocalStore(root);
  }
  if (kind !== 's3') throw new UserError('FLAG_INVALID', `unknown --store ${JSON.stringify(kind)}`);
  const bucket = flagString(flags, 's3-bucket');
  if (bucket.trim() === '') throw new UserError('FLAG_INVALID', '--s3-bucket is required when --store=s3');
  return new S3Store({ ...s3OptionsFromFlags(flagValues(flags)), bucket: bucket.trim() });
}

export async function offloadCommand(args: readonly string[], io: CliIO, prog: string): Promise<number> {
  const [mode, ...rest] = args;
  if (mode === '-h' || mode === '-help' || mode === '--help') {
    io.stdout.write(offloadHelp(prog));
    return 0;
  }
  if (mode === undefined) throw new UserError('FLAG_INVALID', 'subcommand required: publish or restore');
  if (mode !== 'publish' && mode !== 'restore') throw new UserError('FLAG_INVALID', `unknown subcommand ${JSON.stringify(mode)}: publish or restore`);
  const flags = parseGoFlags(rest, mode === 'publish' ? PUBLISH_FLAGS : RESTORE_FLAGS);
  if (flags.help) {
    io.stdout.write(offloadHelp(prog));
    return 0;
  }
  if (flags.rest.length > 0) throw new UserError('FLAG_INVALID', `unexpected positional argument ${JSON.stringify(flags.rest[0])}`);
  const dataDir = flagString(flags, 'data-dir');
  if (mode === 'restore') {
    const manifestKey = flagString(flags, 'manifest-key');
    const peers = flagString(flags, 'peers');
    if (manifestKey.trim() === '') throw new UserError('FLAG_INVALID', '--manifest-key is required');
    if (dataDir.trim() === '') throw new UserError('FLAG_INVALID', '--data-dir is required');
    if (peers.trim() === '') throw new UserError('FLAG_INVALID', '--peers is required');
    const r = await restoreSnapshot({ store: storeFromFlags(flags), manifestKey, dataDir, peers });
    writeSummary(io, flagBool(flags, 'json'), `snapshot offload restore data dir prepared: ${r.dataDir} (fsm ${r.fsmPath}, crc32c ${r.crc32c.toString(16).padStart(8, '0')}, payload sha256 ${r.payloadSha256}, ${humanBytes(r.payloadBytes)}, ${r.peers} peers)`, {
      command: 'offload restore',
      manifest_key: manifestKey,
      ...preparedJson(r, r.peers),
    }, []);
    return 0;
  }
  if (dataDir.trim() === '') throw new UserError('FLAG_INVALID', '--data-dir is required');
  const groupId = flags.values.get('group-id') as bigint;
  const sourceCluster = flagString(flags, 'source-cluster');
  if (groupId === 0n && sourceCluster.trim() === '') throw new UserError('FLAG_INVALID', '--source-cluster is required when --group-id is 0');
  const store = storeFromFlags(flags);
  const spool = flagString(flags, 'spool-dir');
  const res = await publishSnapshot({
    store,
    dataDir,
    prefix: flagString(flags, 'prefix'),
    groupId,
    sourceCluster,
    binaryVersion: flagString(flags, 'binary-version'),
    ...(spool.trim() !== '' ? { spoolDir: spool } : {}),
  });
  const m = res.manifest;
  const json = flagBool(flags, 'json');
  if (!json) io.stdout.write(res.manifestBytes);
  writeSummary(io, json, `snapshot offload manifest ${res.created ? 'published' : 'already present'}: ${store.describe(m.manifestKey)} (payload ${m.payload.key}, ${humanBytes(Number(m.payload.bytes))}, group ${m.groupId}, index ${m.snapshotIndex}, term ${m.snapshotTerm})`, {
    command: 'offload publish',
    created: res.created,
    manifest_key: m.manifestKey,
    manifest_location: store.describe(m.manifestKey),
    payload_key: m.payload.key,
    payload_bytes: m.payload.bytes,
    group_id: m.groupId,
    snapshot_index: m.snapshotIndex,
    snapshot_term: m.snapshotTerm,
    manifest: res.manifestBytes.toString('utf8'),
  }, []);
  return 0;
}
