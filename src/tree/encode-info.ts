// `<output>.encode_info.json`: provenance of an encoded `.fsm` (spec core.md §3.6;
// elastickv: internal/backup/encode_info.go). json.Encoder, two-space indent, HTML escaping ON, one `\n`.

import { DataError } from '../errors.ts';
import { goEncodeLine } from '../json/go-json.ts';
import { JsonObject, parseJsonBytes, readArray, readBool, readObject, readString, readUint } from '../json/go-json-read.ts';

const ENCODE_INFO_SUFFIX = '.encode_info.json';
const ENCODE_INFO_FORMAT_VERSION = 1;
/** Largest sidecar read (one is a few hundred bytes); a larger file is refused before it is read. */
export const ENCODE_INFO_MAX_BYTES = 1024 * 1024;

export interface EncodeInfo {
  readonly formatVersion: number;
  readonly encoderVersion: string;
  readonly encoderKeyFormatVersion: number;
  readonly wallTimeIso: string;
  readonly inputRoot: string;
  readonly outputFsmPath: string;
  readonly outputFsmSha256: string;
  readonly lastCommitTs: bigint;
  readonly lastCommitTsOverridden: boolean;
  readonly manifestLastCommitTs: bigint;
  readonly manifestClusterId: string;
  readonly adaptersEnabled: readonly string[];
  readonly selfTest: { readonly ran: boolean; readonly matched: boolean };
}

export function encodeInfoPath(output: string): string {
  return output + ENCODE_INFO_SUFFIX;
}

export function renderEncodeInfo(i: EncodeInfo): string {
  return goEncodeLine(
    {
      format_version: i.formatVersion,
      encoder_version: i.encoderVersion,
      encoder_key_format_version: i.encoderKeyFormatVersion,
      wall_time_iso: i.wallTimeIso,
      input_root: i.inputRoot,
      output_fsm_path: i.outputFsmPath,
      output_fsm_sha256: i.outputFsmSha256,
      last_commit_ts: i.lastCommitTs,
      last_commit_ts_overridden: i.lastCommitTsOverridden,
      manifest_last_commit_ts: i.manifestLastCommitTs,
      manifest_cluster_id: i.manifestClusterId === '' ? undefined : i.manifestClusterId,
      adapters_enabled: i.adaptersEnabled,
      self_test: { ran: i.selfTest.ran, matched: i.selfTest.matched },
    },
    { escapeHTML: true, indent: true },
  );
}

/** ReadEncodeInfo: version gate (exactly 1), then a lenient typed decode. */
export function parseEncodeInfo(bytes: Uint8Array, path: string): EncodeInfo {
  const bad = (why: string): DataError => new DataError('ENCODE_INFO_INVALID', `malformed encode_info: ${why}`, { path });
  let o;
  try {
    o = parseJsonBytes(bytes);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (!(o instanceof JsonObject)) throw bad('not a JSON object');
  try {
    const version = Number(readUint(o.field('format_version'), 'format_version', 32));
    if (version !== ENCODE_INFO_FORMAT_VERSION) {
      throw new DataError('ENCODE_INFO_UNSUPPORTED_VERSION', `unsupported ENCODE_INFO format_version: got ${version}, want 1`, { path });
    }
    const st = readObject(o.field('self_test'), 'self_test');
    return {
      formatVersion: version,
      encoderVersion: readString(o.field('encoder_version'), 'encoder_version'),
      encoderKeyFormatVersion: Number(readUint(o.field('encoder_key_format_version'), 'encoder_key_format_version', 32)),
      wallTimeIso: readString(o.field('wall_time_iso'), 'wall_time_iso'),
      inputRoot: readString(o.field('input_root'), 'input_root'),
      outputFsmPath: readString(o.field('output_fsm_path'), 'output_fsm_path'),
      outputFsmSha256: readString(o.field('output_fsm_sha256'), 'output_fsm_sha256'),
      lastCommitTs: readUint(o.field('last_commit_ts'), 'last_commit_ts'),
      lastCommitTsOverridden: readBool(o.field('last_commit_ts_overridden'), 'last_commit_ts_overridden'),
      manifestLastCommitTs: readUint(o.field('manifest_last_commit_ts'), 'manifest_last_commit_ts'),
      manifestClusterId: readString(o.field('manifest_cluster_id'), 'manifest_cluster_id'),
      adaptersEnabled: (readArray(o.field('adapters_enabled'), 'adapters_enabled') ?? []).map((v) => readString(v, 'adapters_enabled')),
      selfTest: { ran: readBool(st?.field('ran'), 'self_test.ran'), matched: readBool(st?.field('matched'), 'self_test.matched') },
    };
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw bad((err as Error).message);
  }
}
