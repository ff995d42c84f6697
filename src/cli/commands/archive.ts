// `archive pack|unpack` / `elastickv-snapshot-archive pack|unpack`: dump tree <-> tar or tar+zstd stream.
// Accepts the reference tool's arguments (cmd/elastickv-snapshot-archive: the mode first, then --input,
// --output, --compression zstd|none, `-` for stdout on pack and stdin on unpack) plus extensions.

import { UserError } from '../../errors.ts';
import { type ArchiveSink, fileSink, forwardTo, openArchiveFile, openS3Archive, refuseOutputInsideInput, s3Sink } from '../../archive/io.ts';
import { parseS3Url } from '../../offload/s3-config.ts';
import { S3_FLAGS, s3OptionsFromFlags } from '../../offload/s3-flags.ts';
import { flagValues } from '../adapter-flags.ts';
import { type Compression, packTree } from '../../archive/pack.ts';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, unpackArchive } from '../../archive/unpack.ts';
import { flagBool, flagString, parseGoFlags, parseGoUint, renderHelp, type FlagSpecs, type ParsedFlags } from '../go-flags.ts';
import { checkOutputParent } from '../../tree/publish.ts';
import type { CliIO } from '../io.ts';
import { humanBytes } from '../progress.ts';
import { JSON_FLAG, writeSummary } from '../summary.ts';

const ARCHIVE_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'PATH', help: 'pack: dump root; unpack: archive file, - for stdin, or s3://bucket/key (extension) (required)' },
  output: { type: 'string', value: 'PATH', help: 'pack: archive file to create, - for stdout, or s3://bucket/key (extension); unpack: dump root to create (required)' },
  compression: { type: 'string', value: 'KIND', default: 'zstd', help: 'zstd or none (unpack without this flag: detected from the first bytes)' },
  'max-entries': { type: 'string', value: 'N', default: String(DEFAULT_MAX_ENTRIES), help: 'extension: unpack refuses archives with more entries' },
  'max-bytes': { type: 'string', value: 'N', default: String(DEFAULT_MAX_BYTES), help: 'extension: unpack refuses archives with more bytes of file content' },
  ...S3_FLAGS,
  json: { ...JSON_FLAG, help: `extension: ${JSON_FLAG.help}` },
};

const DESCRIPTION = `pack: verifies a dump tree (MANIFEST.json, CHECKSUMS, no unlisted file) and writes it as a tar stream,
zstd-compressed by default; entries in path order with normalised headers (same tree, same bytes).
unpack: extracts a tar or tar+zstd stream into a new dump root, refusing unsafe entries (absolute or ".."
names, links, devices, FIFOs, duplicates, over-long names, budgets), verifies the result like \`verify\`, then
renames it into place; on failure nothing is left at --output.
Exit codes: 0 success, 1 usage or environment error, 2 the tree or archive is invalid or unsafe.`;

export function archiveHelp(prog: string): string {
  return renderHelp(`${prog} pack|unpack --input PATH --output PATH [--compression zstd|none]`, DESCRIPTION, ARCHIVE_FLAGS);
}

/** Where an archive goes: `-` (standard output), `s3://bucket/key` (with the --s3-* flags) or a new file. */
export async function openArchiveSink(output: string, io: CliIO, flags: ParsedFlags): Promise<ArchiveSink> {
  if (output === '-') return { stream: forwardTo(io.stdout), commit: async () => undefined, abort: async () => undefined };
  const s3Out = parseS3Url(output);
  if (s3Out !== undefined) {
    const o = s3OptionsFromFlags(flagValues(flags));
    return s3Sink(s3Out, o, o.sse, o.kmsKeyId);
  }
  await checkOutputParent(output);
  return fileSink(output);
}

function parseCount(flag: string, text: string): number {
  const n = parseGoUint(text);
  if (n === undefined || n === 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new UserError('FLAG_INVALID', `--${flag}: ${JSON.stringify(text)} is not a positive integer`);
  return Number(n);
}

export async function archiveCommand(args: readonly string[], io: CliIO, prog: string): Promise<number> {
  const [mode, ...rest] = args;
  if (mode === '-h' || mode === '-help' || mode === '--help') {
    io.stdout.write(archiveHelp(prog));
    return 0;
  }
  if (mode === undefined) throw new UserError('FLAG_INVALID', 'subcommand required: pack or unpack');
  if (mode !== 'pack' && mode !== 'unpack') throw new UserError('FLAG_INVALID', `unknown subcommand ${JSON.stringify(mode)}: pack or unpack`);
  const flags = parseGoFlags(rest, ARCHIVE_FLAGS);
  if (flags.help) {
    io.stdout.write(archiveHelp(prog));
    return 0;
  }
  if (flags.rest.length > 0) throw new UserError('FLAG_INVALID', `unexpected argument ${JSON.stringify(flags.rest[0])}`);
  const input = flagString(flags, 'input');
  const output = flagString(flags, 'output');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  if (output === '') throw new UserError('FLAG_INVALID', '--output is required');
  const compressionText = flagString(flags, 'compression');
  if (compressionText !== 'zstd' && compressionText !== 'none') throw new UserError('ARCHIVE_COMPRESSION_UNSUPPORTED', `unsupported compression ${JSON.stringify(compressionText)}: zstd or none`);
  const compression: Compression = compressionText;
  if (mode === 'pack') {
    const s3Out = parseS3Url(output);
    if (output !== '-' && s3Out === undefined) await refuseOutputInsideInput(input, output);
    const sink = await openArchiveSink(output, io, flags);
    let res;
    try {
      res = await packTree(input, sink.stream, compression);
      await sink.commit();
    } catch (err) {
      await sink.abort();
      throw err;
    }
    if (flagBool(flags, 'json') && output === '-') throw new UserError('FLAG_INVALID', '--json writes the summary to standard output, where --output - wrote the archive: use one of them');
    writeSummary(io, flagBool(flags, 'json'), `packed ${input} -> ${output}: ${res.files} files, ${res.dirs} directories, ${humanBytes(res.contentBytes)} (${compression})`, {
      command: 'archive pack',
      input,
      output,
      compression,
      files: BigInt(res.files),
      dirs: BigInt(res.dirs),
      content_bytes: BigInt(res.contentBytes),
    }, []);
    return 0;
  }
  const s3In = parseS3Url(input);
  const source = input === '-' ? process.stdin : s3In !== undefined ? await openS3Archive(s3In, s3OptionsFromFlags(flagValues(flags))) : await openArchiveFile(input);
  const res = await unpackArchive(source, output, {
    source: input === '-' ? 'stdin' : input,
    ...(flags.given.has('compression') ? { compression } : {}),
    maxEntries: parseCount('max-entries', flagString(flags, 'max-entries')),
    maxBytes: parseCount('max-bytes', flagString(flags, 'max-bytes')),
  });
  writeSummary(io, flagBool(flags, 'json'), `unpacked ${input} -> ${output}: ${res.files} files, ${res.dirs} directories, ${humanBytes(res.contentBytes)} (${res.compression}); ${res.verified} files match CHECKSUMS`, {
    command: 'archive unpack',
    input,
    output,
    compression: res.compression,
    files: BigInt(res.files),
    dirs: BigInt(res.dirs),
    content_bytes: BigInt(res.contentBytes),
    verified: BigInt(res.verified),
  }, []);
  return 0;
}
