// `export sqs`: every message of each queue into an SQS-compatible endpoint (--to http(s)://endpoint | aws).

import { AWS_FLAGS, awsEndpoint, makeSqsClient } from '../aws-clients.ts';
import { liveTarget, type ExportTarget } from '../target.ts';
import { exportSqsLive } from './live.ts';

export const SQS_EXPORT: ExportTarget = {
  adapter: 'sqs',
  usage: `  sqs     --to http(s)://endpoint|aws sends every message of each queue's live generation in send order (FIFO:
                                      group and deduplication ids); --create-queues creates missing queues;
                                      credentials from the standard AWS chain`,
  flags: {
    'create-queues': { type: 'bool', help: 'sqs --to: create missing queues with the attributes of _queue.json' },
    ...AWS_FLAGS,
  },
  plan(run) {
    const endpoint = awsEndpoint(liveTarget(run, 'sqs', 'http(s)://endpoint|aws'));
    return {
      kind: 'sqs',
      destination: endpoint.shown,
      async run(tree, report, onProgress) {
        await exportSqsLive({
          tree,
          client: run.dryRun ? undefined : makeSqsClient(endpoint, run.flags.string('region'), run.flags.string('profile')),
          where: endpoint.shown,
          createQueues: run.flags.bool('create-queues'),
          report,
          onProgress,
          ...(run.filter !== undefined ? { filter: run.filter } : {}),
        });
      },
    };
  },
};
