// DynamoDB's "export to S3" layout (DYNAMODB_JSON), one per table, so that `aws dynamodb import-table` and the
// parsers written for DynamoDB exports read the dump:
//
//   <output>/<table>/AWSDynamoDB/<export id>/data/<part>.json.gz     one {"Item":{…}} per line, gzip
//   <output>/<table>/AWSDynamoDB/<export id>/manifest-files.json     one line per data file
//                                          (itemCount, md5Checksum, etag, dataFileS3Key)
//   <output>/<table>/AWSDynamoDB/<export id>/manifest-summary.json   the export's summary
//                                          (itemCount, billedSizeBytes, outputFormat, …)
//   <output>/<table>/AWSDynamoDB/<export id>/manifest-*.md5, _started
//
// Keys in the manifests are relative to `<output>/<table>/`: upload that directory to s3://bucket/prefix/ and
// the layout is what DynamoDB writes for an export to that prefix. Built in a staging directory next to the
// output and renamed into place when complete.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { readDynamoTables } from '../../adapters/dynamodb/records.ts';
import { renderExportLine } from '../../adapters/dynamodb/json.ts';
import type { RecordFilter } from '../../filter/record-filter.ts';
import { checkFreshOutputDir, makeStagingDir, publishDir, randomHex } from '../../tree/publish.ts';
import type { TreeReader } from '../../tree/reader.ts';
import { removeTree } from '../../tree/remove-tree.ts';
import { trackTemp } from '../../tree/temp-paths.ts';
import type { ExportReport } from '../report.ts';

/** Uncompressed bytes of items per data file before a new one starts. */
const PART_BYTES = 64 * 1024 * 1024;
const ACCOUNT_ARN = 'arn:aws:dynamodb:local:000000000000';

export interface DynamoExportLayoutOptions {
  readonly tree: TreeReader;
  readonly layout: 'per-item' | 'jsonl';
  readonly output: string;
  readonly report: ExportReport;
  readonly filter?: RecordFilter;
  /** Time recorded as the export's `exportTime` (the dump's wall time when known). */
  readonly exportTime: Date;
  readonly dryRun: boolean;
  readonly onProgress?: (report: ExportReport) => void;
}

interface DataFile {
  readonly itemCount: number;
  readonly md5: Buffer;
  readonly key: string;
}

/** Writes the lines of `lines` gzip-compressed to `path`; returns the compressed file's MD5. */
async function writeGzip(path: string, lines: AsyncIterable<string>): Promise<Buffer> {
  await pipeline(Readable.from(lines), createGzip(), createWriteStream(path, { flags: 'wx' }));
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path)) md5.update(chunk as Buffer);
  return md5.digest();
}

export async function writeDynamoExportLayout(opts: DynamoExportLayoutOptions): Promise<void> {
  const { report, filter } = opts;
  if (!opts.dryRun) await checkFreshOutputDir(opts.output);
  let forget: (() => void) | undefined;
  const staging = opts.dryRun ? undefined : makeStagingDir(opts.output, 'partial', (p) => (forget = trackTemp(p)));
  try {
    const tables = readDynamoTables(opts.tree, {
      layout: opts.layout,
      ...(filter !== undefined ? { accept: (row) => filter.accepts('dynamodb', row) } : {}),
      onFiltered: () => report.filtered++,
    });
    for await (const table of tables) {
      const started = new Date();
      const exportId = `${String(opts.exportTime.getTime()).padStart(14, '0')}-${randomHex(4)}`;
      const base = `AWSDynamoDB/${exportId}`;
      const dir = staging === undefined ? undefined : join(staging, table.dir, base);
      if (dir !== undefined) await fsp.mkdir(join(dir, 'data'), { recursive: true });
      const files: DataFile[] = [];
      let itemCount = 0;
      let billed = 0;
      const items = table.items()[Symbol.asyncIterator]();
      let next = await items.next();
      while (!next.done) {
        let partItems = 0;
        let partBytes = 0;
        // One data file: lines until the part is full; the iterator carries over to the next part.
        async function* part(): AsyncGenerator<string> {
          while (!next.done && partBytes < PART_BYTES) {
            const line = renderExportLine(next.value.item);
            partItems++;
            partBytes += Buffer.byteLength(line);
            yield line;
            next = await items.next();
          }
        }
        const name = `data/${String(files.length).padStart(5, '0')}-${randomHex(4)}.json.gz`;
        let md5: Buffer = Buffer.alloc(16);
        if (dir !== undefined) md5 = await writeGzip(join(dir, name), part());
        else {
          // No directory: the lines are still rendered, for the counts.
          const lines = part();
          while ((await lines.next()).done !== true);
        }
        files.push({ itemCount: partItems, md5, key: `${base}/${name}` });
        itemCount += partItems;
        billed += partBytes;
        report.records += partItems;
        report.bytes += partBytes;
        opts.onProgress?.(report);
      }
      if (dir === undefined) continue;
      const manifestFiles = files.map((f) => `${JSON.stringify({ itemCount: f.itemCount, md5Checksum: f.md5.toString('base64'), etag: f.md5.toString('hex'), dataFileS3Key: f.key })}\n`).join('');
      const tableArn = `${ACCOUNT_ARN}:table/${table.schema.tableName}`;
      const summary = `${JSON.stringify({
        version: '2020-06-30',
        exportArn: `${tableArn}/export/${exportId}`,
        startTime: started.toISOString(),
        endTime: new Date().toISOString(),
        tableArn,
        tableId: table.dir,
        exportTime: opts.exportTime.toISOString(),
        s3Bucket: null,
        s3Prefix: null,
        s3SseAlgorithm: null,
        s3SseKmsKeyId: null,
        manifestFilesS3Key: `${base}/manifest-files.json`,
        billedSizeBytes: billed,
        itemCount,
        outputFormat: 'DYNAMODB_JSON',
        exportType: 'FULL_EXPORT',
      })}\n`;
      const md5b64 = (s: string): string => createHash('md5').update(s).digest('base64');
      await fsp.writeFile(join(dir, 'manifest-files.json'), manifestFiles);
      await fsp.writeFile(join(dir, 'manifest-files.md5'), md5b64(manifestFiles));
      await fsp.writeFile(join(dir, 'manifest-summary.json'), summary);
      await fsp.writeFile(join(dir, 'manifest-summary.md5'), md5b64(summary));
      await fsp.writeFile(join(dir, '_started'), '');
    }
    if (staging !== undefined) await publishDir(staging, opts.output);
  } finally {
    if (staging !== undefined) removeTree(staging);
    forget?.();
  }
}
