// `restore`: the common case in one command. A dump tree is encoded (always with the self-test) into a private
// scratch directory next to --data-dir and prepared from there; an encoded `.fsm` (with its sidecar) is
// prepared directly. Either way the data directory appears complete at --data-dir or not at all, and the
// scratch directory is removed.

import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from '../../adapters/adapter.ts';
import { DataError, UserError } from '../../errors.ts';
import { encodeInfoOf, encodeSnapshot, planEncode, type EncodeSnapshotOptions } from '../../pipeline/encode.ts';
import { goCleanPath, precheckRestoreTarget, prepareRestore } from '../../restore/prepare.ts';
import { checkClusterId } from '../../restore/validate.ts';
import { randomHex } from '../../tree/publish.ts';
import { removeTree } from '../../tree/remove-tree.ts';
import { trackTemp } from '../../tree/temp-paths.ts';
import { DEFAULT_ADAPTER_FLAG, parseAdapterSet } from '../adapter-set.ts';
import { flagBool, flagString, renderHelp, type FlagSpecs } from '../go-flags.ts';
import { commandFlags } from '../command.ts';
import type { CliIO } from '../io.ts';
import { startProgress } from '../progress.ts';
import { parseSize } from '../size.ts';
import { parseLastCommitTs } from './encode.ts';
import { reportPrepared, RESTORE_TARGET_FLAGS, restoreTargetOf } from './prepare-restore.ts';
import { JSON_FLAG } from '../summary.ts';

const RESTORE_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'DIR|FILE', help: 'dump tree (encoded with --self-test) or an encoded .fsm with its sidecar (required)' },
  ...RESTORE_TARGET_FLAGS,
  'encode-info': { type: 'string', value: 'FILE', help: '.fsm input: its ENCODE_INFO sidecar (default <input>.encode_info.json)' },
  'allow-unverified-self-test': { type: 'bool', help: '.fsm input: accept a sidecar whose self-test did not run or match' },
  adapter: { type: 'string', value: 'LIST', default: DEFAULT_ADAPTER_FLAG, help: 'tree input: adapters to encode (comma list, or "all")' },
  'last-commit-ts': { type: 'string', value: 'T', help: "tree input: commit timestamp for the snapshot (>= the manifest's)" },
  'memory-budget': { type: 'string', value: 'SIZE', default: '256M', help: 'tree input: memory for sorting before spilling to disk' },
  quiet: { type: 'bool', help: 'no progress display' },
  json: JSON_FLAG,
};

const DESCRIPTION = `Restores a backup into a fresh raft data directory in one step: a dump tree is encoded with the
self-test and prepared; an encoded .fsm is prepared as prepare-restore does. The node must be stopped;
swap the new directory in for its raft directory (<--raftDataDir>/<--raftId>), then start it without
--raftBootstrap (see README "Restoring a node").
Exit codes: 0 success, 1 usage or environment error, 2 data-correctness error.`;

export function restoreHelp(prog: string): string {
  return renderHelp(`${prog} --input DIR|FILE.fsm --data-dir DIR --index N --peers id=addr[,id=addr...] [flags]`, DESCRIPTION, RESTORE_FLAGS);
}

export async function restoreCommand(
  args: readonly string[],
  io: CliIO,
  prog: string,
  adapters: readonly Adapter[],
): Promise<number> {
  const flags = commandFlags(args, RESTORE_FLAGS, io, () => restoreHelp(prog));
  if (flags === undefined) return 0;
  const input = flagString(flags, 'input');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  const target = restoreTargetOf(flags);
  await precheckRestoreTarget(target);
  const st = await fsp.stat(input).catch((err: unknown) => {
    throw new UserError('INPUT_MISSING', `cannot read --input: ${(err as Error).message}`, { path: input });
  });

  if (!st.isDirectory()) {
    for (const f of ['adapter', 'last-commit-ts', 'memory-budget'] as const) {
      if (flags.given.has(f))
        throw new UserError('FLAG_INVALID', `--${f} applies to a dump tree input; ${input} is a file`);
    }
    const encodeInfo = flagString(flags, 'encode-info');
    const result = await prepareRestore({
      input,
      ...(encodeInfo !== '' ? { encodeInfo } : {}),
      ...target,
      allowUnverifiedSelfTest: flagBool(flags, 'allow-unverified-self-test'),
    });
    reportPrepared(io, flagBool(flags, 'json'), 'restore', result, { input });
    return 0;
  }

  for (const f of ['encode-info', 'allow-unverified-self-test'] as const) {
    if (flags.given.has(f))
      throw new UserError(
        'FLAG_INVALID',
        `--${f} applies to an encoded .fsm input; ${input} is a dump tree (always encoded with the self-test)`,
      );
  }
  const dest = goCleanPath(target.dataDir);
  const scratch = join(dirname(dest), `.${basename(dest)}.restore-encode-${randomHex()}`);
  const untrack = trackTemp(scratch);
  try {
    await fsp.mkdir(scratch, { mode: 0o700 });
    const output = join(scratch, 'restore.fsm');
    const override = flags.given.has('last-commit-ts')
      ? parseLastCommitTs(flagString(flags, 'last-commit-ts'))
      : undefined;
    let progress: ReturnType<typeof startProgress> | undefined = undefined;
    const opts: EncodeSnapshotOptions = {
      input,
      output,
      adapters,
      selected: parseAdapterSet(flagString(flags, 'adapter'), 'encode'),
      selfTest: true,
      memoryBudget: parseSize('memory-budget', flagString(flags, 'memory-budget')),
      scratchRoot: scratch,
      ...(override !== undefined ? { lastCommitTs: override } : {}),
      onProgress: (p) => {
        if (progress === undefined) return;
        if (p.phase === 'self-test') progress.update('self-test', p.done, p.total, 'bytes');
        else if (p.phase === 'self-test-finalize') progress.update('finalize', p.done, 0, 'files', 'self-test');
        else if (p.phase === 'self-test-compare') progress.update('compare', p.done, 0, 'files', 'self-test');
        else if (p.phase === 'write') progress.update('encode', p.done, p.total, 'rows');
        else progress.update('read tree', p.done, 0, 'rows');
      },
    };
    const plan = await planEncode(opts);
    checkClusterId(plan.manifest.clusterId, target);
    progress = startProgress(io, flagBool(flags, 'quiet'), 'restore');
    let encoded;
    try {
      encoded = await encodeSnapshot(opts, plan);
    } finally {
      progress.stop();
    }
    if (!encoded.selfTest.matched) {
      const lines = encoded.selfTest.mismatchText.split('\n').filter((l) => l !== '');
      io.stderr.write(`${lines.slice(0, 20).join('\n')}\n${lines.length > 20 ? `… ${lines.length - 20} more\n` : ''}`);
      throw new DataError(
        'SELF_TEST_MISMATCH',
        'self-test: the encoded snapshot does not decode back to --input; nothing was restored',
        { path: input },
      );
    }
    const info = encodeInfoOf(input, output, encoded, { ran: true, matched: true });
    const result = await prepareRestore({ input: output, encodeInfo: info, ...target, allowUnverifiedSelfTest: false });
    if (!flagBool(flags, 'json')) io.stderr.write(`encoded ${input}: ${encoded.rows} rows, self_test=matched\n`);
    reportPrepared(io, flagBool(flags, 'json'), 'restore', result, { input, encoded_rows: BigInt(encoded.rows), self_test: 'matched' });
    return 0;
  } finally {
    removeTree(scratch);
    untrack();
  }
}
