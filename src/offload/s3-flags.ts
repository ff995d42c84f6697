// The reference's S3 connection flags, taken by every command that reads or writes s3:// paths (offload, decode,
// inspect, encode, archive) and by export's S3 target, and the connection they select.

import type { AdapterFlag, AdapterFlagValues } from '../adapters/adapter.ts';
import { validateSse, type S3Sse } from './s3-config.ts';
import type { S3Options } from './s3-store.ts';

/** The S3 connection flags by name (without dashes). */
export const S3_FLAGS: Readonly<Record<string, AdapterFlag>> = {
  's3-region': { type: 'string', value: 'REGION', default: 'us-east-1', help: 'S3 signing region' },
  's3-endpoint': { type: 'string', value: 'URL', help: 'S3-compatible endpoint URL' },
  's3-profile': { type: 'string', value: 'NAME', help: 'AWS shared config profile' },
  's3-path-style': { type: 'bool', default: true, help: 'use path-style S3 addressing' },
  's3-sse': { type: 'string', value: 'ALG', default: 'AES256', help: 'server-side encryption for uploaded objects: AES256 or aws:kms (extension: none, for servers without SSE)' },
  's3-kms-key-id': { type: 'string', value: 'ID', help: 'KMS key ARN or bare key ID when --s3-sse=aws:kms; aliases are rejected' },
  's3-disable-checksum-headers': { type: 'bool', help: 'do not send S3 checksum headers; keep metadata and restore-time verification' },
  's3-elastickv': { type: 'bool', help: 'the S3 endpoint is an elastickv node (extension: signs the Connection header, which its verifier re-signs, and sends bucket paths without a trailing slash)' },
};

/** The S3 connection the S3_FLAGS select (bucket aside). */
export function s3OptionsFromFlags(
  flags: Pick<AdapterFlagValues, 'bool' | 'string'>,
): S3Options & { readonly sse: S3Sse; readonly kmsKeyId: string } {
  // The SDK warns on every run under Node 20 that its releases from 2027 need Node 22; the versions package-lock.json
  // pins support Node 20 (README), so the warning only adds noise to the command's output.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return {
    bucket: '',
    region: flags.string('s3-region').trim(),
    endpoint: flags.string('s3-endpoint').trim(),
    profile: flags.string('s3-profile').trim(),
    forcePathStyle: flags.bool('s3-path-style'),
    sse: validateSse(flags.string('s3-sse').trim(), flags.string('s3-kms-key-id')),
    kmsKeyId: flags.string('s3-kms-key-id').trim(),
    disableChecksumHeaders: flags.bool('s3-disable-checksum-headers'),
    elastickv: flags.bool('s3-elastickv'),
  };
}
