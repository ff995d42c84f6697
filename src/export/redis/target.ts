// `export redis`: a live Redis server (--to redis://…) or a RESP command file (--format resp --output F).

import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.ts';
import type { ExportTarget } from '../target.ts';
import { exportRedis, type RedisSink } from './export.ts';
import { DryRunSink, LiveRedisSink, RespFileSink, redactRedisUrl } from './sinks.ts';

export const REDIS_EXPORT: ExportTarget = {
  adapter: 'redis',
  usage: `  redis   --to redis://[user:password@]host:port/db
                                      replays every key with its type, elements and TTL (DEL first, then
                                      SET/HSET/RPUSH/SADD/ZADD/XADD, XSETID, PEXPIREAT; MULTI/EXEC per key; pipelined)
          --format resp --output F    the same commands as a RESP stream for redis-cli --pipe ("-" for stdout)`,
  flags: {},
  async plan(run) {
    const to = run.flags.string('to');
    const format = run.flags.string('format');
    const output = run.flags.string('output');
    if ((to === '') === (format === '')) throw new UserError('FLAG_INVALID', 'export redis: give either --to redis://host:port/db or --format resp --output FILE');
    if (format !== '' && format !== 'resp') throw new UserError('FLAG_INVALID', `export redis: unknown --format ${JSON.stringify(format)} (resp)`);
    if (format !== '' && output === '') throw new UserError('FLAG_INVALID', 'export redis --format resp: --output is required ("-" for stdout)');
    if (format !== '' && output !== '-' && (await fsp.lstat(output).catch(() => undefined)) !== undefined) {
      throw new UserError('OUTPUT_EXISTS', 'output already exists', { path: output });
    }
    if (to !== '' && !/^rediss?:\/\//.test(to)) throw new UserError('FLAG_INVALID', 'export redis: --to must be a redis:// or rediss:// URL');
    return {
      kind: format === 'resp' ? 'resp' : 'redis',
      destination: to !== '' ? redactRedisUrl(to) : output,
      async run(tree, report, onProgress) {
        const sink: RedisSink = run.dryRun
          ? new DryRunSink()
          : to !== ''
            ? await LiveRedisSink.connect(to)
            : new RespFileSink(output, run.stdout);
        await exportRedis({
          tree,
          sink,
          report,
          expired: run.expired,
          nowMs: BigInt(Date.now()),
          scratchDir: join(run.scratchDir, 'redis'),
          memoryBudget: run.memoryBudget,
          onProgress,
          ...(run.filter !== undefined ? { filter: run.filter } : {}),
        });
      },
    };
  },
};
