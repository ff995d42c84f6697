// `export dynamodb`: DynamoDB's export-to-S3 layout on disk (--format dynamodb-export --output DIR), or a live
// DynamoDB-compatible endpoint (--to http(s)://endpoint | aws).

import { UserError } from '../../errors.ts';
import { readManifestOf } from '../../pipeline/encode.ts';
import { AWS_FLAGS, awsEndpoint, makeDynamoClient } from '../aws-clients.ts';
import type { ExportTarget } from '../target.ts';
import { writeDynamoExportLayout } from './export-layout.ts';
import { exportDynamoLive } from './live.ts';

export const DYNAMODB_EXPORT: ExportTarget = {
  adapter: 'dynamodb',
  usage: `  dynamodb --format dynamodb-export --output DIR
                                      per table, DynamoDB's export-to-S3 layout (data/*.json.gz with one
                                      {"Item":{…}} per line, manifest-files.json, manifest-summary.json); DIR
                                      absent or an empty directory
           --to http(s)://endpoint|aws  puts every item (BatchWriteItem, 25 a request, unprocessed items retried
                                      with backoff); --create-tables creates missing tables from _schema.json;
                                      credentials from the standard AWS chain`,
  flags: {
    'create-tables': { type: 'bool', help: 'dynamodb --to: create missing tables from _schema.json (key schema, GSIs, on-demand billing)' },
    ...AWS_FLAGS,
  },
  plan(run) {
    const to = run.flags.string('to');
    const format = run.flags.string('format');
    const output = run.flags.string('output');
    if ((to === '') === (format === '')) throw new UserError('FLAG_INVALID', 'export dynamodb: give either --to http(s)://endpoint or --format dynamodb-export --output DIR');
    if (to !== '') {
      if (output !== '') throw new UserError('FLAG_INVALID', 'export dynamodb --to: takes no --output');
      const endpoint = awsEndpoint(to);
      return {
        kind: 'dynamodb',
        destination: endpoint.shown,
        async run(tree, report, onProgress) {
          const manifest = await readManifestOf(tree.root);
          await exportDynamoLive({
            tree,
            layout: manifest.dynamodbLayout === 'jsonl' ? 'jsonl' : 'per-item',
            client: run.dryRun ? undefined : makeDynamoClient(endpoint, run.flags.string('region'), run.flags.string('profile')),
            where: endpoint.shown,
            createTables: run.flags.bool('create-tables'),
            report,
            onProgress,
            ...(run.filter !== undefined ? { filter: run.filter } : {}),
          });
        },
      };
    }
    if (format !== 'dynamodb-export') throw new UserError('FLAG_INVALID', 'export dynamodb: give --format dynamodb-export --output DIR');
    if (output === '') throw new UserError('FLAG_INVALID', 'export dynamodb --format dynamodb-export: --output is required');
    return {
      kind: 'dynamodb-export',
      destination: output,
      async run(tree, report, onProgress) {
        const manifest = await readManifestOf(tree.root);
        await writeDynamoExportLayout({
          tree,
          layout: manifest.dynamodbLayout === 'jsonl' ? 'jsonl' : 'per-item',
          output,
          report,
          exportTime: new Date(manifest.wallTimeIso),
          dryRun: run.dryRun,
          onProgress,
          ...(run.filter !== undefined ? { filter: run.filter } : {}),
        });
      },
    };
  },
};
