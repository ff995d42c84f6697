// `export <target>`: a dump tree (or an `.fsm`, decoded first) into a live system or a standard file format.
// Targets live in src/export/<target>/; this file parses flags, opens the input and prints the report.

import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Adapter } from '../../adapters/adapter.ts';
import { UserError } from '../../errors.ts';
import { goMarshal } from '../../json/go-json.ts';
import { exportRedis, type RedisSink } from '../../export/redis/export.ts';
import { DryRunSink, LiveRedisSink, RespFileSink, redactRedisUrl } from '../../export/redis/sinks.ts';
import { writeDynamoExportLayout } from '../../export/dynamodb/export-layout.ts';
import { exportS3, parseS3Target } from '../../export/s3/export.ts';
import { exportDynamoLive } from '../../export/dynamodb/live.ts';
import { exportSqsLive } from '../../export/sqs/live.ts';
import { awsEndpoint, makeDynamoClient, makeSqsClient } from '../../export/aws-clients.ts';
import { makeS3Client } from '../../offload/s3-store.ts';
import { newReport, summarizeReport, type ExportReport } from '../../export/report.ts';
import { readManifestOf } from '../../pipeline/encode.ts';
import { openExportSource } from '../../export/source.ts';
import { randomHex } from '../../tree/publish.ts';
import { removeTree } from '../../tree/remove-tree.ts';
import { trackTemp } from '../../tree/temp-paths.ts';
import { FILTER_FLAGS, filterFromFlags } from '../filter-flags.ts';
import { flagBool, flagString, renderHelp, type FlagSpecs, type ParsedFlags } from '../go-flags.ts';
import { commandFlags } from '../command.ts';
import { S3_FLAGS, s3OptionsFromFlags } from './offload.ts';
import type { CliIO } from '../io.ts';
import { startProgress } from '../progress.ts';
import { parseSize } from '../size.ts';

const EXPORT_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'PATH', help: 'dump tree, or an .fsm snapshot (decoded to a scratch tree first) (required)' },
  to: { type: 'string', value: 'URL', help: 'live target: redis://[user:password@]host:port/db; s3://bucket[/prefix] or s3://; for dynamodb and sqs http(s)://endpoint, or aws (the regional AWS endpoint)' },
  'create-tables': { type: 'bool', help: 'dynamodb --to: create missing tables from _schema.json (key schema, GSIs, on-demand billing)' },
  'create-queues': { type: 'bool', help: 'sqs --to: create missing queues with the attributes of _queue.json' },
  region: { type: 'string', value: 'REGION', help: 'dynamodb and sqs --to: AWS region (default: the AWS chain\'s, else us-east-1)' },
  profile: { type: 'string', value: 'NAME', help: 'dynamodb and sqs --to: AWS shared config profile' },
  format: { type: 'string', value: 'FORMAT', help: 'file output instead of a live target: resp (redis: commands for redis-cli --pipe), dynamodb-export (dynamodb: the layout of DynamoDB\'s export to S3)' },
  output: { type: 'string', value: 'PATH', help: 'where --format writes ("-" for stdout with resp); must not exist (dynamodb-export: absent or an empty directory)' },
  'dry-run': { type: 'bool', help: 'read everything and report what would be written, writing nothing' },
  expired: { type: 'string', value: 'MODE', default: 'keep', choices: ['keep', 'skip'], help: 'keep (send records whose TTL has passed as they are) or skip (leave out records expired when the export starts)' },
  ...FILTER_FLAGS,
  'memory-budget': { type: 'string', value: 'SIZE', default: '256M', help: 'memory for regrouping records before spilling to disk' },
  'scratch-root': { type: 'string', value: 'DIR', help: 'directory for scratch files (default: the OS temp directory)' },
  ...S3_FLAGS,
  json: { type: 'bool', help: 'print the final report as JSON on stdout' },
  quiet: { type: 'bool', help: 'no progress display' },
};

const TARGETS = ['redis', 'dynamodb', 's3', 'sqs'] as const;
type Target = (typeof TARGETS)[number];

const DESCRIPTION = `Exports the records of a dump tree (or of an .fsm snapshot) into a live system or a standard file format.
Targets:
  redis   --to redis://host:port/db   replays every key with its type, elements and TTL (DEL first, then
                                      SET/HSET/RPUSH/SADD/ZADD/XADD, XSETID, PEXPIREAT; MULTI/EXEC per key; pipelined)
          --format resp --output F    the same commands as a RESP stream for redis-cli --pipe
  dynamodb --format dynamodb-export --output DIR
                                      per table, DynamoDB's export-to-S3 layout (data/*.json.gz with one
                                      {"Item":{…}} per line, manifest-files.json, manifest-summary.json)
           --to http(s)://endpoint|aws  puts every item (BatchWriteItem, 25 a request, unprocessed items retried
                                      with backoff); --create-tables creates missing tables from _schema.json
  s3      --to s3://bucket[/prefix]   uploads every object of the tree's one bucket (pick it with --include
                                      s3:bucket=NAME) under the prefix, with its content type, encoding, cache
                                      control, disposition and user metadata (multipart above 8 MiB)
          --to s3://                  each bucket's objects into the existing bucket of the same name
          (--s3-endpoint, --s3-region, --s3-profile, --s3-path-style, --s3-sse as for offload; credentials from
          the standard AWS chain)
  sqs     --to http(s)://endpoint|aws sends every message of each queue's live generation in send order (FIFO:
                                      group and deduplication ids); --create-queues creates missing queues
Credentials for s3, dynamodb and sqs come from the standard AWS chain only (environment, shared files and
--profile/--s3-profile, SSO, container and instance roles) and are never printed.
Exit codes: 0 success, 1 usage or environment error (bad flags, unreachable target), 2 a record is invalid or
the target refused one (named in the message).`;

export function exportHelp(prog: string): string {
  return renderHelp(`${prog} <${TARGETS.join('|')}> --input PATH (--to URL | --format FORMAT --output PATH) [flags]`, DESCRIPTION, EXPORT_FLAGS);
}

interface Common {
  readonly flags: ParsedFlags;
  readonly input: string;
  readonly dryRun: boolean;
  readonly scratch: string;
  readonly memoryBudget: number;
}

export async function exportCommand(
  args: readonly string[],
  io: CliIO,
  prog: string,
  adapters: readonly Adapter[],
): Promise<number> {
  const [target, ...rest] = args;
  if (target === undefined || target === '-h' || target === '--help' || target === '-help') {
    io.stdout.write(exportHelp(prog));
    return target === undefined ? 1 : 0;
  }
  if (!(TARGETS as readonly string[]).includes(target))
    throw new UserError(
      'FLAG_INVALID',
      `export: unknown target ${JSON.stringify(target)} (one of ${TARGETS.join(', ')})`,
    );
  const flags = commandFlags(rest, EXPORT_FLAGS, io, () => exportHelp(prog));
  if (flags === undefined) return 0;
  const input = flagString(flags, 'input');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  const expired = flagString(flags, 'expired') === 'skip' ? 'skip' : 'keep';
  const scratchRoot = flagString(flags, 'scratch-root');
  const scratch = join(scratchRoot !== '' ? scratchRoot : tmpdir(), `.ekv-export-scratch-${randomHex()}`);
  const forget = trackTemp(scratch);
  const started = Date.now();
  const progress = startProgress(io, flagBool(flags, 'quiet'), `export ${target}`);
  const common: Common = {
    flags,
    input,
    dryRun: flagBool(flags, 'dry-run'),
    scratch,
    memoryBudget: parseSize('memory-budget', flagString(flags, 'memory-budget')),
  };
  let report: ExportReport | undefined;
  let partial: ExportReport | undefined;
  try {
    await fsp.mkdir(scratch, { recursive: true });
    report = await runTarget(target as Target, common, io, adapters, expired, (r) => {
      partial = r;
      progress.update('export', r.records, 0, 'records');
    });
  } catch (err) {
    progress.stop();
    if (partial !== undefined) io.stderr.write(`stopped: ${summarizeReport(partial, (Date.now() - started) / 1000)}\n`);
    throw err;
  } finally {
    progress.stop();
    removeTree(scratch);
    forget();
  }
  const secs = (Date.now() - started) / 1000;
  if (flagBool(flags, 'json'))
    io.stdout.write(`${goMarshal({ ...report, seconds: secs }, { escapeHTML: false, indent: true })}\n`);
  io.stderr.write(`${summarizeReport(report, secs)}\n`);
  return 0;
}

/** Runs one target; `onProgress` gets the live report (first right after it is made). */
async function runTarget(target: Target, c: Common, io: CliIO, adapters: readonly Adapter[], expired: 'keep' | 'skip', onProgress: (r: ExportReport) => void): Promise<ExportReport> {
  const filter = filterFromFlags(c.flags, adapters);
  const to = flagString(c.flags, 'to');
  const format = flagString(c.flags, 'format');
  const output = flagString(c.flags, 'output');
  switch (target) {
    case 'redis': {
      if ((to === '') === (format === '')) throw new UserError('FLAG_INVALID', 'export redis: give either --to redis://host:port/db or --format resp --output FILE');
      if (format !== '' && format !== 'resp') throw new UserError('FLAG_INVALID', `export redis: unknown --format ${JSON.stringify(format)} (resp)`);
      if (format !== '' && output === '') throw new UserError('FLAG_INVALID', 'export redis --format resp: --output is required ("-" for stdout)');
      if (format !== '' && output !== '-' && (await fsp.lstat(output).catch(() => undefined)) !== undefined) {
        throw new UserError('OUTPUT_EXISTS', 'output already exists', { path: output });
      }
      if (to !== '' && !/^rediss?:\/\//.test(to)) throw new UserError('FLAG_INVALID', 'export redis: --to must be a redis:// or rediss:// URL');
      const report = newReport(format === 'resp' ? 'resp' : 'redis', to !== '' ? redactRedisUrl(to) : output, c.dryRun);
      onProgress(report);
      const source = await openExportSource({ input: c.input, adapters, adapter: 'redis', scratchRoot: c.scratch, memoryBudget: c.memoryBudget, ...(filter !== undefined ? { filter } : {}) });
      try {
        const sink: RedisSink = c.dryRun ? new DryRunSink() : to !== '' ? await LiveRedisSink.connect(to) : new RespFileSink(output, io.stdout);
        await exportRedis({
          tree: source.tree,
          sink,
          report,
          expired,
          nowMs: BigInt(Date.now()),
          scratchDir: join(c.scratch, 'redis'),
          memoryBudget: c.memoryBudget,
          onProgress,
          ...(filter !== undefined ? { filter } : {}),
        });
      } finally {
        source.close();
      }
      return report;
    }
    case 'dynamodb': {
      if ((to === '') === (format === '')) throw new UserError('FLAG_INVALID', 'export dynamodb: give either --to http(s)://endpoint or --format dynamodb-export --output DIR');
      if (to !== '') {
        if (output !== '') throw new UserError('FLAG_INVALID', 'export dynamodb --to: takes no --output');
        const endpoint = awsEndpoint(to);
        const report = newReport('dynamodb', endpoint.shown, c.dryRun);
        onProgress(report);
        const source = await openExportSource({ input: c.input, adapters, adapter: 'dynamodb', scratchRoot: c.scratch, memoryBudget: c.memoryBudget, ...(filter !== undefined ? { filter } : {}) });
        try {
          const manifest = await readManifestOf(source.tree.root);
          await exportDynamoLive({
            tree: source.tree,
            layout: manifest.dynamodbLayout === 'jsonl' ? 'jsonl' : 'per-item',
            client: c.dryRun ? undefined : makeDynamoClient(endpoint, flagString(c.flags, 'region'), flagString(c.flags, 'profile')),
            where: endpoint.shown,
            createTables: flagBool(c.flags, 'create-tables'),
            report,
            onProgress,
            ...(filter !== undefined ? { filter } : {}),
          });
        } finally {
          source.close();
        }
        return report;
      }
      if (format !== 'dynamodb-export') throw new UserError('FLAG_INVALID', 'export dynamodb: give --format dynamodb-export --output DIR');
      if (output === '') throw new UserError('FLAG_INVALID', 'export dynamodb --format dynamodb-export: --output is required');
      const report = newReport('dynamodb-export', output, c.dryRun);
      onProgress(report);
      const source = await openExportSource({ input: c.input, adapters, adapter: 'dynamodb', scratchRoot: c.scratch, memoryBudget: c.memoryBudget, ...(filter !== undefined ? { filter } : {}) });
      try {
        const manifest = await readManifestOf(source.tree.root);
        await writeDynamoExportLayout({
          tree: source.tree,
          layout: manifest.dynamodbLayout === 'jsonl' ? 'jsonl' : 'per-item',
          output,
          report,
          exportTime: new Date(manifest.wallTimeIso),
          dryRun: c.dryRun,
          onProgress,
          ...(filter !== undefined ? { filter } : {}),
        });
      } finally {
        source.close();
      }
      return report;
    }
    case 's3': {
      if (format !== '' || output !== '') throw new UserError('FLAG_INVALID', 'export s3: takes --to s3://bucket[/prefix] (no --format or --output)');
      if (to === '') throw new UserError('FLAG_INVALID', 'export s3: --to s3://bucket[/prefix] is required');
      const target = parseS3Target(to);
      const s3 = s3OptionsFromFlags(c.flags);
      const report = newReport('s3', to, c.dryRun);
      onProgress(report);
      const source = await openExportSource({ input: c.input, adapters, adapter: 's3', scratchRoot: c.scratch, memoryBudget: c.memoryBudget, ...(filter !== undefined ? { filter } : {}) });
      try {
        await exportS3({
          tree: source.tree,
          target,
          client: c.dryRun ? undefined : makeS3Client(s3),
          sse: s3.sse,
          kmsKeyId: s3.kmsKeyId,
          report,
          onProgress,
          ...(s3.elastickv === true ? { objectsInFlight: 1 } : {}),
          ...(filter !== undefined ? { filter } : {}),
        });
      } finally {
        source.close();
      }
      return report;
    }
    case 'sqs': {
      if (format !== '' || output !== '') throw new UserError('FLAG_INVALID', 'export sqs: takes --to http(s)://endpoint (no --format or --output)');
      if (to === '') throw new UserError('FLAG_INVALID', 'export sqs: --to http(s)://endpoint (or aws) is required');
      const endpoint = awsEndpoint(to);
      const report = newReport('sqs', endpoint.shown, c.dryRun);
      onProgress(report);
      const source = await openExportSource({ input: c.input, adapters, adapter: 'sqs', scratchRoot: c.scratch, memoryBudget: c.memoryBudget, ...(filter !== undefined ? { filter } : {}) });
      try {
        await exportSqsLive({
          tree: source.tree,
          client: c.dryRun ? undefined : makeSqsClient(endpoint, flagString(c.flags, 'region'), flagString(c.flags, 'profile')),
          where: endpoint.shown,
          createQueues: flagBool(c.flags, 'create-queues'),
          report,
          onProgress,
          ...(filter !== undefined ? { filter } : {}),
        });
      } finally {
        source.close();
      }
      return report;
    }
  }
}
