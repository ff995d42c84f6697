// `verify`: checks a dump tree (MANIFEST.json valid, every CHECKSUMS row matches, no unlisted file) or a
// `.fsm` file (every entry well-formed, CRC footer if any, and the SHA-256 recorded in its encode_info sidecar).

import { createHash } from 'node:crypto';
import type { Adapter } from '../../adapters/adapter.ts';
import { createReadStream, promises as fsp } from 'node:fs';
import { DataError, UserError } from '../../errors.ts';
import { SnapshotReader } from '../../snapshot/reader.ts';
import { verifyChecksums } from '../../tree/checksums.ts';
import { encodeInfoPath, parseEncodeInfo } from '../../tree/encode-info.ts';
import { readManifestOf } from '../../pipeline/encode.ts';
import { commandFlags } from '../command.ts';
import { flagBool, flagString, renderHelp, type FlagSpecs } from '../go-flags.ts';
import type { CliIO } from '../io.ts';
import { humanBytes, startProgress } from '../progress.ts';

export const VERIFY_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'PATH', help: 'dump root (directory) or .fsm file (required)' },
  quiet: { type: 'bool', help: 'no progress display' },
};

export function verifyHelp(prog: string): string {
  return renderHelp(
    `${prog} --input DIR|FILE.fsm`,
    'Verifies a dump tree against MANIFEST.json and CHECKSUMS (and finds files CHECKSUMS does not list), or reads a\n.fsm end to end and checks it against its <file>.encode_info.json when present. Exit 2 on any mismatch.',
    VERIFY_FLAGS,
  );
}

export async function verifyCommand(args: readonly string[], io: CliIO, prog: string, _adapters: readonly Adapter[]): Promise<number> {
  const flags = commandFlags(args, VERIFY_FLAGS, io, () => verifyHelp(prog));
  if (flags === undefined) return 0;
  const input = flagString(flags, 'input');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  const st = await fsp.stat(input).catch(() => undefined);
  if (st === undefined) throw new UserError('INPUT_MISSING', 'input does not exist', { path: input });
  if (st.isDirectory()) {
    await readManifestOf(input);
    const res = await verifyChecksums(input);
    if (res.unlistedCount > 0) {
      const shown = res.unlisted.slice(0, 10).map((b) => b.toString('utf8'));
      throw new DataError('CHECKSUMS_UNLISTED_FILE', `${res.unlistedCount} file(s) not listed in CHECKSUMS: ${shown.join(', ')}${res.unlistedCount > shown.length ? ', …' : ''}`, { path: input });
    }
    io.stdout.write(`OK: ${input}: MANIFEST.json valid, ${res.verified} files match CHECKSUMS, no unlisted files\n`);
    return 0;
  }
  const progress = startProgress(io, flagBool(flags, 'quiet'), 'verify');
  const hash = createHash('sha256');
  const source = createReadStream(input, { highWaterMark: 1024 * 1024 });
  source.on('data', (c) => hash.update(c as Buffer));
  const reader = new SnapshotReader(source, { path: input, onBytes: (n) => progress.update(n, st.size, '') });
  let entries = 0;
  try {
    const header = await reader.header();
    for await (const rec of reader.records()) {
      if (rec.type === 'entry') entries++;
    }
    const sha = hash.digest('hex');
    const sidecarPath = encodeInfoPath(input);
    const sidecar = await fsp.readFile(sidecarPath).catch(() => undefined);
    let note = 'no encode_info sidecar';
    if (sidecar !== undefined) {
      const info = parseEncodeInfo(sidecar, sidecarPath);
      if (info.outputFsmSha256.toLowerCase() !== sha) {
        throw new DataError('FSM_SHA256_MISMATCH', `SHA-256 ${sha} differs from output_fsm_sha256 ${info.outputFsmSha256} in the sidecar`, { path: input });
      }
      if (info.lastCommitTs !== header.lastCommitTs) {
        throw new DataError('FSM_HEADER_MISMATCH', `header last_commit_ts ${header.lastCommitTs} differs from the sidecar's ${info.lastCommitTs}`, { path: input });
      }
      note = `matches ${sidecarPath} (self_test ${info.selfTest.ran ? (info.selfTest.matched ? 'matched' : 'MISMATCHED') : 'not run'})`;
    }
    io.stdout.write(`OK: ${input}: ${reader.container!.kind}, ${entries} entries, ${humanBytes(st.size)}, sha256 ${sha}; ${note}\n`);
    return 0;
  } finally {
    progress.stop();
  }
}
