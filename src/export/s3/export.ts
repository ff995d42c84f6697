// Export of a tree's S3 objects to an S3 (or S3-compatible) endpoint: every object with its body, content type,
// content encoding, cache control, content disposition and user metadata, through the AWS SDK v3. Bodies are
// streamed from the tree: a body up to one part goes as one PUT, a larger one as a multipart upload (8 MiB
// parts, two in flight, aborted on failure), four objects at a time, so memory stays near 64 MiB whatever the
// sizes. Re-running overwrites the same keys with the same bytes (idempotent).
//
// `--to s3://bucket[/prefix]` writes the objects of the tree's one bucket (after filtering) under `prefix/`;
// `--to s3://` writes each bucket's objects to the bucket of the same name. The target buckets must exist.

import { Readable } from 'node:stream';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { readS3Buckets, type TreeBucket, type TreeObject } from '../../adapters/s3/encode.ts';
import { DataError, UserError } from '../../errors.ts';
import type { RecordFilter } from '../../filter/record-filter.ts';
import { isValidUtf8 } from '../../json/go-json.ts';
import type { S3Sse } from '../../offload/s3-config.ts';
import type { TreeReader } from '../../tree/reader.ts';
import { exportFailure } from '../aws.ts';
import type { ExportReport } from '../report.ts';

const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
const OBJECTS_IN_FLIGHT = 4;

export interface S3Target {
  /** Undefined: each tree bucket goes to its namesake. */
  readonly bucket: string | undefined;
  /** Key prefix (empty, or ending in `/`). */
  readonly prefix: string;
}

/** Parses `s3://`, `s3://bucket` or `s3://bucket/prefix`. */
export function parseS3Target(url: string): S3Target {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/s.exec(url);
  if (m === null) throw new UserError('EXPORT_TARGET_URL_INVALID', `export s3: --to must be s3://bucket[/prefix] or s3:// (each bucket to its namesake), not ${JSON.stringify(url)}`);
  const bucket = m[1] ?? '';
  const prefix = m[2] ?? '';
  if (bucket === '' && prefix !== '') throw new UserError('EXPORT_TARGET_URL_INVALID', 'export s3: a prefix needs a bucket (s3://bucket/prefix)');
  return { bucket: bucket === '' ? undefined : bucket, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

export interface S3ExportOptions {
  readonly tree: TreeReader;
  readonly target: S3Target;
  /** Undefined for a dry run. */
  readonly client: S3Client | undefined;
  readonly sse: S3Sse;
  readonly kmsKeyId: string;
  readonly report: ExportReport;
  readonly filter?: RecordFilter;
  readonly onProgress?: (report: ExportReport) => void;
  /**
   * Objects uploaded at once (default 4); 1 for an elastickv target, which refuses concurrent writes under one
   * prefix (OperationAborted).
   */
  readonly objectsInFlight?: number;
}

const present = (s: string): string | undefined => (s === '' ? undefined : s);

/** The buckets the filter keeps, checked against the target's shape before anything is written. */
async function selectBuckets(opts: S3ExportOptions): Promise<TreeBucket[]> {
  const out: TreeBucket[] = [];
  for await (const b of readS3Buckets(opts.tree)) {
    if (opts.filter !== undefined && !opts.filter.accepts('s3', { scope: Buffer.from(b.bucket.name, 'utf8') })) continue;
    out.push(b);
  }
  if (opts.target.bucket !== undefined && out.length > 1) {
    throw new UserError('FLAG_INVALID', `export s3: the tree holds ${out.length} buckets (${out.map((b) => JSON.stringify(b.bucket.name)).join(', ')}) for the one target bucket ${JSON.stringify(opts.target.bucket)}: pick one with --include 's3:bucket=NAME', or use --to s3:// to write each to its namesake`);
  }
  return out;
}

export async function exportS3(opts: S3ExportOptions): Promise<void> {
  const { report, client } = opts;
  const buckets = await selectBuckets(opts);
  if (client !== undefined) {
    for (const b of buckets) {
      const bucket = opts.target.bucket ?? b.bucket.name;
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) throw new UserError('EXPORT_TARGET_MISSING', `export s3: bucket ${JSON.stringify(bucket)} does not exist (create it first)`);
        throw exportFailure(err, `bucket ${JSON.stringify(bucket)}`, `s3://${bucket}`);
      }
    }
  }
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  const settle = async (): Promise<void> => {
    await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
  };
  const filter = opts.filter;
  try {
    for (const b of buckets) {
      const bucket = opts.target.bucket ?? b.bucket.name;
      const accept = filter === undefined ? undefined : (row: Parameters<RecordFilter['accepts']>[1]): boolean => {
        if (filter.accepts('s3', row)) return true;
        report.filtered++;
        return false;
      };
      for await (const obj of b.objects(accept)) {
        if (!isValidUtf8(obj.key)) {
          report.unrepresentable++; // the SDK takes keys as text
          continue;
        }
        const key = opts.target.prefix + obj.key.toString('utf8');
        if (client === undefined) {
          let read = 0;
          for await (const chunk of obj.chunks()) read += chunk.length; // the dry run reads and checks every body
          count(opts, read);
          continue;
        }
        const p = upload(client, opts, bucket, key, b.bucket.name, obj).then(
          () => {
            count(opts, Number(obj.meta.sizeBytes));
          },
          (err: unknown) => {
            failure ??= err as Error;
          },
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        if (inFlight.size >= (opts.objectsInFlight ?? OBJECTS_IN_FLIGHT)) await settle();
      }
    }
    while (inFlight.size > 0) await settle();
  } catch (err) {
    await Promise.allSettled(inFlight);
    if (err instanceof DataError && err.code === 'EXPORT_TARGET_REFUSED') report.failures++;
    throw err;
  }
}

function count(opts: S3ExportOptions, bytes: number): void {
  opts.report.records++;
  opts.report.bytes += bytes;
  opts.onProgress?.(opts.report);
}

async function upload(
  client: S3Client,
  opts: S3ExportOptions,
  bucket: string,
  key: string,
  sourceBucket: string,
  obj: TreeObject,
): Promise<void> {
  const m = obj.meta;
  const up = new Upload({
    client,
    queueSize: PARTS_IN_FLIGHT,
    partSize: PART_SIZE,
    leavePartsOnError: false,
    params: {
      Bucket: bucket,
      Key: key,
      Body: Readable.from(obj.chunks(), { objectMode: false }),
      ContentType: present(m.contentType),
      ContentEncoding: present(m.contentEncoding),
      CacheControl: present(m.cacheControl),
      ContentDisposition: present(m.contentDisposition),
      ...(m.userMetadata !== undefined && m.userMetadata.size > 0
        ? { Metadata: Object.fromEntries(m.userMetadata) }
        : {}),
      ...(opts.sse !== 'none' ? { ServerSideEncryption: opts.sse } : {}),
      ...(opts.kmsKeyId !== '' ? { SSEKMSKeyId: opts.kmsKeyId } : {}),
    },
  });
  try {
    await up.done();
  } catch (err) {
    throw exportFailure(
      err,
      `object ${JSON.stringify(obj.key.toString('utf8'))} of bucket ${JSON.stringify(sourceBucket)}`,
      `s3://${bucket}`,
      obj.path,
    );
  }
}
