// The S3 settings that need no SDK: s3:// URLs and the --s3-sse check. Kept apart from s3-store.ts so that
// commands reading local files parse their flags without loading the AWS SDK (it is imported when S3 is used).

import { UserError } from '../errors.ts';

/** Server-side encryption of uploaded objects (`--s3-sse`); `none` for S3-compatible servers without SSE. */
export type S3Sse = 'AES256' | 'aws:kms' | 'none';

/** The reference's ValidateS3StoreEncryption (plus `none`). */
export function validateSse(sse: string, kmsKeyId: string): S3Sse {
  const kms = kmsKeyId.trim();
  if (sse !== 'AES256' && sse !== 'aws:kms' && sse !== 'none') throw new UserError('FLAG_INVALID', `--s3-sse must be AES256, aws:kms or none, not ${JSON.stringify(sse)}`);
  if (sse === 'aws:kms' && kms === '') throw new UserError('FLAG_INVALID', '--s3-kms-key-id is required for --s3-sse aws:kms');
  if (sse !== 'aws:kms' && kms !== '') throw new UserError('FLAG_INVALID', '--s3-kms-key-id requires --s3-sse aws:kms');
  if (sse === 'aws:kms') kmsIdentity(kms);
  return sse;
}

/** Key ARN or bare key id (aliases refused: S3 reports the resolved key, not the alias). */
export function kmsIdentity(v: string): { arn: string; keyId: string } {
  if (v.startsWith('alias/')) throw new UserError('FLAG_INVALID', 'KMS aliases are not supported; use a key ARN or bare key ID');
  if (v.startsWith('arn:')) {
    const m = /^arn:[^:]+:kms:([^:]+):([^:]+):key\/(.+)$/.exec(v);
    if (m === null) throw new UserError('FLAG_INVALID', 'KMS key ARN is invalid or identifies an alias');
    return { arn: v, keyId: m[3] as string };
  }
  if (/[:/]/.test(v)) throw new UserError('FLAG_INVALID', 'KMS key id must be a key ARN or bare key ID');
  return { arn: '', keyId: v };
}

/** Parses `s3://bucket/key`; undefined for anything else. */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  return m === null ? undefined : { bucket: m[1] as string, key: m[2] as string };
}
