// The S3 object store (the reference's S3Store, internal/snapshotoffload/s3_store.go) through the AWS SDK for
// JavaScript v3: conditional creates (If-None-Match: *), the payload's SHA-256 as `x-amz-meta-elastickv-sha256`
// and as the SHA-256 checksum header (unless --s3-disable-checksum-headers), multipart upload above 5 GiB with a
// checksum per part, server-side encryption checked on every object read back, the SDK's standard retries, and
// the standard credential chain (environment, shared config and credentials files with --s3-profile, SSO, web
// identity, container and instance metadata).
//
// Beyond the reference: `--s3-sse none` sends no encryption header and checks none, for S3-compatible servers
// that do not implement SSE (the reference requires AES256 or aws:kms, and fails on such servers after
// uploading the payload). Failures are classed for exit codes: credentials, a missing bucket or an unreachable
// endpoint are environment errors (1); a checksum or size mismatch is a data error (2).

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type S3ClientConfig,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { DataError, isEkvError, UserError } from '../errors.ts';
import { adaptForElastickv } from './s3-elastickv.ts';
import { kmsIdentity, validateSse, type S3Sse } from './s3-config.ts';
import { type ObjectInfo, type ObjectStore, type PutOptions, type PutSource, checkObjectKey, integrity, notFound, sourceChunks } from './store.ts';

/** How to reach S3: the --s3-* flags (region, endpoint, profile, path style, checksum headers). */
export interface S3Options {
  readonly bucket: string;
  readonly region: string;
  readonly endpoint: string;
  readonly profile: string;
  readonly forcePathStyle: boolean;
  readonly disableChecksumHeaders: boolean;
  /** The endpoint is an elastickv node's S3 adapter (`--s3-elastickv`): see s3-elastickv.ts. */
  readonly elastickv?: boolean;
  /** Static credentials (tests); otherwise the SDK's default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** An S3Store's bucket, connection and encryption, and its multipart thresholds. */
export interface S3StoreConfig extends S3Options {
  readonly sse: S3Sse;
  readonly kmsKeyId: string;
  /** Objects larger than this go through multipart upload (default 5 GiB, S3's single-PUT limit). */
  readonly multipartThreshold?: number;
  /** Part size of multipart uploads (default 64 MiB; raised as needed to stay within 10,000 parts). */
  readonly partSize?: number;
}

const META_SHA = 'elastickv-sha256';
const SINGLE_PUT_MAX = 5 * 1024 ** 3;
const DEFAULT_PART = 64 * 1024 ** 2;
const MAX_PARTS = 10_000;
const SHA_HEX = /^[0-9a-f]{64}$/;

/** An S3 client for the given flags (shared by the offload store and s3:// inputs and outputs). */
export function makeS3Client(o: S3Options): S3Client {
  const cfg: S3ClientConfig = {
    region: o.region === '' ? 'us-east-1' : o.region,
    forcePathStyle: o.forcePathStyle,
    maxAttempts: 3,
    ...(o.endpoint !== '' ? { endpoint: o.endpoint } : {}),
    ...(o.profile !== '' ? { profile: o.profile } : {}),
    ...(o.credentials !== undefined ? { credentials: o.credentials } : {}),
    ...(o.disableChecksumHeaders ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
  };
  const client = new S3Client(cfg);
  if (o.elastickv === true) adaptForElastickv(client);
  return client;
}

function kmsMatch(actual: string, expected: string): boolean {
  try {
    const a = kmsIdentity(actual);
    const e = kmsIdentity(expected);
    return a.arn !== '' && e.arn !== '' ? a.arn === e.arn : a.keyId === e.keyId;
  } catch {
    return false;
  }
}

interface AwsError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function status(err: unknown): number | undefined {
  return (err as AwsError).$metadata?.httpStatusCode;
}

/** Classes an SDK failure: environment problems exit 1 with a plain reason, integrity problems exit 2. */
export function s3Failure(err: unknown, doing: string, where: string): Error {
  if (isEkvError(err)) return err;
  const e = err as AwsError;
  const name = e.name ?? e.code ?? '';
  const msg = e.message ?? String(err);
  if (/checksum/i.test(name) || /checksum mismatch/i.test(msg)) return new DataError('OFFLOAD_INTEGRITY', `${doing}: ${msg}`, { path: where });
  if (name === 'NoSuchBucket') return new UserError('S3_NO_SUCH_BUCKET', `${doing}: the bucket does not exist`, { path: where }, { cause: err });
  // versitygw answers an unknown access key with 404 XAdminUserNotFound.
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError', 'XAdminUserNotFound'].includes(name) || status(err) === 403) {
    return new UserError('S3_ACCESS_DENIED', `${doing}: access denied (${name || 'HTTP 403'}): check the credentials, --s3-profile and the bucket policy`, { path: where }, { cause: err });
  }
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT'].includes(code) || name === 'TimeoutError') {
    return new UserError('S3_UNREACHABLE', `${doing}: cannot reach the S3 endpoint (${code || name})`, { path: where }, { cause: err });
  }
  return new UserError('S3_REQUEST_FAILED', `${doing}: ${name !== '' ? `${name}: ` : ''}${msg}`, { path: where }, { cause: err });
}

function isNotFound(err: unknown): boolean {
  const name = (err as AwsError).name ?? '';
  return name === 'NotFound' || name === 'NoSuchKey';
}

interface HeadFields {
  readonly ContentLength?: number | undefined;
  readonly Metadata?: Record<string, string> | undefined;
  readonly ChecksumSHA256?: string | undefined;
  readonly ChecksumType?: string | undefined;
  readonly ServerSideEncryption?: string | undefined;
  readonly SSEKMSKeyId?: string | undefined;
}

/** An object store in an S3 bucket (`--store s3`), through the AWS SDK for JavaScript v3. */
export class S3Store implements ObjectStore {
  readonly #client: S3Client;
  readonly #cfg: S3StoreConfig;
  readonly #threshold: number;
  readonly #partSize: number;

  constructor(cfg: S3StoreConfig, client: S3Client = makeS3Client(cfg)) {
    if (cfg.bucket.trim() === '') throw new UserError('FLAG_INVALID', '--s3-bucket is required when --store=s3');
    validateSse(cfg.sse, cfg.kmsKeyId);
    this.#cfg = cfg;
    this.#client = client;
    this.#threshold = cfg.multipartThreshold ?? SINGLE_PUT_MAX;
    this.#partSize = cfg.partSize ?? DEFAULT_PART;
  }

  describe(key: string): string {
    return `s3://${this.#cfg.bucket}/${key}`;
  }

  #info(key: string, h: HeadFields): ObjectInfo & { sse: string; kms: string } {
    const where = this.describe(key);
    if (h.ContentLength === undefined || h.ContentLength < 0) throw integrity(where, 'object has no content length');
    let metaSha = '';
    for (const [k, v] of Object.entries(h.Metadata ?? {})) {
      if (k.toLowerCase() === META_SHA && v.trim() !== '') {
        metaSha = v.trim();
        if (!SHA_HEX.test(metaSha)) throw integrity(where, 'sha256 metadata is invalid');
      }
    }
    let sumSha = '';
    const raw = (h.ChecksumSHA256 ?? '').trim();
    if (raw !== '' && h.ChecksumType !== 'COMPOSITE') {
      const b = Buffer.from(raw, 'base64');
      if (b.length !== 32) throw integrity(where, `sha256 checksum has ${b.length} bytes`);
      sumSha = b.toString('hex');
    }
    if (metaSha !== '' && sumSha !== '' && metaSha !== sumSha) throw integrity(where, 'sha256 metadata does not match the full-object checksum');
    return { key, size: h.ContentLength, sha256: metaSha || sumSha, sse: h.ServerSideEncryption ?? '', kms: h.SSEKMSKeyId ?? '' };
  }

  #checkSse(key: string, info: { sse: string; kms: string }): void {
    if (this.#cfg.sse === 'none') return;
    if (info.sse !== this.#cfg.sse) throw integrity(this.describe(key), `encryption ${JSON.stringify(info.sse)}, expected ${JSON.stringify(this.#cfg.sse)} (an S3-compatible server without SSE needs --s3-sse none)`);
    if (this.#cfg.sse === 'aws:kms' && !kmsMatch(info.kms, this.#cfg.kmsKeyId)) throw integrity(this.describe(key), `kms key ${JSON.stringify(info.kms)}, expected ${JSON.stringify(this.#cfg.kmsKeyId)}`);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const k = checkObjectKey(key);
    let out;
    try {
      out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#cfg.bucket, Key: k, ...(this.#cfg.disableChecksumHeaders ? {} : { ChecksumMode: 'ENABLED' as const }) }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw s3Failure(err, 'head object', this.describe(k));
    }
    const info = this.#info(k, out);
    this.#checkSse(k, info);
    return info;
  }

  async get(key: string): Promise<{ body: AsyncIterable<Uint8Array>; info: ObjectInfo }> {
    const k = checkObjectKey(key);
    const where = this.describe(k);
    let out;
    try {
      out = await this.#client.send(new GetObjectCommand({ Bucket: this.#cfg.bucket, Key: k, ...(this.#cfg.disableChecksumHeaders ? {} : { ChecksumMode: 'ENABLED' as const }) }));
    } catch (err) {
      if (isNotFound(err)) throw notFound(where);
      throw s3Failure(err, 'get object', where);
    }
    if (out.Body === undefined) throw integrity(where, 'object returned no body');
    const info = this.#info(k, out);
    this.#checkSse(k, info);
    const body = out.Body as AsyncIterable<Uint8Array>;
    async function* checked(): AsyncGenerator<Uint8Array> {
      try {
        yield* body;
      } catch (err) {
        throw s3Failure(err, 'read object', where);
      }
    }
    return { body: checked(), info };
  }

  async put(key: string, source: PutSource, opts: PutOptions): Promise<ObjectInfo> {
    const k = checkObjectKey(key);
    const where = this.describe(k);
    try {
      if (opts.size > this.#threshold) await this.#putMultipart(k, source, opts);
      else await this.#putSingle(k, source, opts);
    } catch (err) {
      const name = (err as AwsError).name ?? '';
      if (name !== 'PreconditionFailed' && status(err) !== 412) throw s3Failure(err, 'put object', where);
      return this.#verifyExisting(k, opts, 'already exists with different content');
    }
    return this.#verifyExisting(k, opts, 'remote integrity mismatch after put');
  }

  #common(opts: PutOptions) {
    return {
      Bucket: this.#cfg.bucket,
      Metadata: { [META_SHA]: opts.sha256 },
      ContentType: opts.contentType,
      ...(this.#cfg.sse !== 'none' ? { ServerSideEncryption: this.#cfg.sse as ServerSideEncryption } : {}),
      ...(this.#cfg.kmsKeyId !== '' ? { SSEKMSKeyId: this.#cfg.kmsKeyId } : {}),
    };
  }

  async #putSingle(key: string, source: PutSource, opts: PutOptions): Promise<void> {
    const body = 'bytes' in source ? source.bytes : createReadStream(source.path, { highWaterMark: 1024 * 1024 });
    await this.#client.send(
      new PutObjectCommand({
        ...this.#common(opts),
        Key: key,
        Body: body,
        ContentLength: opts.size,
        IfNoneMatch: '*',
        ...(this.#cfg.disableChecksumHeaders ? {} : { ChecksumSHA256: Buffer.from(opts.sha256, 'hex').toString('base64') }),
      }),
    );
  }

  async #putMultipart(key: string, source: PutSource, opts: PutOptions): Promise<void> {
    const partSize = Math.max(this.#partSize, Math.ceil(opts.size / MAX_PARTS));
    const created = await this.#client.send(
      new CreateMultipartUploadCommand({ ...this.#common(opts), Key: key, ...(this.#cfg.disableChecksumHeaders ? {} : { ChecksumAlgorithm: 'SHA256' as const }) }),
    );
    const uploadId = created.UploadId ?? '';
    if (uploadId === '') throw integrity(this.describe(key), 'multipart upload returned no upload id');
    let completed = false;
    try {
      const parts: CompletedPart[] = [];
      const whole = createHash('sha256');
      for (let n = 1, off = 0; off < opts.size; n++, off += partSize) {
        const len = Math.min(partSize, opts.size - off);
        const partHash = createHash('sha256');
        for await (const c of sourceChunks(source, off, len)) {
          partHash.update(c);
          whole.update(c);
        }
        const sum = partHash.digest('base64');
        const body = 'bytes' in source ? source.bytes.subarray(off, off + len) : createReadStream(source.path, { start: off, end: off + len - 1, highWaterMark: 1024 * 1024 });
        const out = await this.#client.send(
          new UploadPartCommand({
            Bucket: this.#cfg.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: n,
            Body: body,
            ContentLength: len,
            ...(this.#cfg.disableChecksumHeaders ? {} : { ChecksumSHA256: sum }),
          }),
        );
        if ((out.ETag ?? '') === '') throw integrity(this.describe(key), `multipart part ${n} returned no ETag`);
        parts.push({
          ETag: out.ETag,
          PartNumber: n,
          ...(this.#cfg.disableChecksumHeaders ? {} : { ChecksumSHA256: sum }),
        });
      }
      const sha = whole.digest('hex');
      if (sha !== opts.sha256) throw integrity(this.describe(key), `multipart source sha256 ${sha}, expected ${opts.sha256}`);
      await this.#client.send(new CompleteMultipartUploadCommand({ Bucket: this.#cfg.bucket, Key: key, UploadId: uploadId, IfNoneMatch: '*', MultipartUpload: { Parts: parts } }));
      completed = true;
    } finally {
      if (!completed)
        await this.#client
          .send(new AbortMultipartUploadCommand({ Bucket: this.#cfg.bucket, Key: key, UploadId: uploadId }))
          .catch(() => undefined);
    }
  }

  /** After a put (or a refused conditional put): the object must have the expected size and SHA-256. */
  async #verifyExisting(key: string, opts: PutOptions, why: string): Promise<ObjectInfo> {
    const where = this.describe(key);
    const info = await this.head(key);
    if (info === undefined) throw integrity(where, 'object missing after put');
    if (info.size !== opts.size || (info.sha256 !== '' && info.sha256 !== opts.sha256)) throw integrity(where, why);
    if (info.sha256 !== '') return info;
    const { body } = await this.get(key);
    const hash = createHash('sha256');
    let n = 0;
    for await (const c of body) {
      hash.update(c);
      n += c.length;
    }
    const sha = hash.digest('hex');
    if (n !== opts.size || sha !== opts.sha256) throw integrity(where, why);
    return { key, size: n, sha256: sha };
  }
}

/**
 * Opens `s3://bucket/key` for reading, streamed (one GetObject; nothing is copied to disk). `what` names the
 * object in messages ("snapshot", "archive"). A missing object is INPUT_MISSING (exit 1); other failures are
 * classed by s3Failure, also when the body fails mid-stream.
 */
export async function openS3Object(
  url: { bucket: string; key: string },
  s3: S3Options,
  what: string,
): Promise<{ body: AsyncIterable<Uint8Array>; size: number | undefined }> {
  const where = `s3://${url.bucket}/${url.key}`;
  let out;
  try {
    out = await makeS3Client(s3).send(new GetObjectCommand({ Bucket: url.bucket, Key: url.key }));
  } catch (err) {
    if (isNotFound(err)) throw new UserError('INPUT_MISSING', `${what} object does not exist`, { path: where });
    throw s3Failure(err, `get the ${what}`, where);
  }
  if (out.Body === undefined)
    throw new UserError('S3_REQUEST_FAILED', `get the ${what}: the response has no body`, { path: where });
  const body = out.Body as AsyncIterable<Uint8Array>;
  return {
    size: out.ContentLength,
    body: (async function* () {
      try {
        yield* body;
      } catch (err) {
        throw s3Failure(err, `read the ${what}`, where);
      }
    })(),
  };
}
