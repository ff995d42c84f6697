// What the AWS SDK's failures mean for an export: the target unreachable or the credentials refused are
// environment problems (exit 1, nothing about a record); a missing bucket, table or queue too; anything else the
// service answered is the target refusing the record being written (exit 2, the record named).

import { DataError, isEkvError, UserError } from '../errors.ts';

interface AwsError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const NETWORK = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'];
const CREDENTIALS = [
  'CredentialsProviderError',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'AccessDeniedException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'InvalidSignatureException',
  'XAdminUserNotFound',
];
const MISSING = ['NoSuchBucket', 'ResourceNotFoundException', 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'];

/** The network error code of `err` or of its causes (the SDK wraps socket errors). */
function networkCode(err: unknown): string | undefined {
  for (
    let e = err as (NodeJS.ErrnoException & { cause?: unknown }) | null | undefined, depth = 0;
    e !== undefined && e !== null && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string' && NETWORK.includes(e.code)) return e.code;
    if (e.name === 'TimeoutError') return 'TimeoutError';
  }
  return undefined;
}

/**
 * Classes a failure of writing `record` (e.g. `object "a/b" of bucket "x"`) to the target `where` (no
 * credentials in it). `path` is the record's place in the tree.
 */
export function exportFailure(err: unknown, record: string, where: string, path?: string): Error {
  if (isEkvError(err)) return err;
  const e = err as AwsError;
  // A response without a body (HEAD) leaves the SDK with the name `Unknown`: the status says more.
  const status = e.$metadata?.httpStatusCode;
  const name = e.name === 'Unknown' && status !== undefined ? `HTTP ${status}` : (e.name ?? e.code ?? '');
  const msg = (e.message ?? String(err)).replace(/\s+/g, ' ');
  const ctx = path !== undefined ? { path } : {};
  const net = networkCode(err);
  if (net !== undefined) return new UserError('EXPORT_TARGET_UNREACHABLE', `cannot reach ${where} while writing ${record} (${net})`, ctx, { cause: err });
  if (CREDENTIALS.includes(name) || status === 403) {
    return new UserError('EXPORT_TARGET_ACCESS_DENIED', `${where} refused the credentials while writing ${record} (${name || 'HTTP 403'}): check the AWS credential chain and the target's policy`, ctx, { cause: err });
  }
  if (MISSING.includes(name) || /NonExistentQueue/.test(name)) return new UserError('EXPORT_TARGET_MISSING', `${where}: ${msg} (writing ${record})`, ctx, { cause: err });
  return new DataError('EXPORT_TARGET_REFUSED', `${where} refused ${record}: ${name !== '' && name !== 'Error' ? `${name}: ` : ''}${msg}`, ctx, { cause: err });
}
