// Redis records as the commands that recreate them, RESTORE-free so that any server speaking the Redis
// protocol accepts them: DEL first (so a re-run converges), then SET / HSET / RPUSH / SADD / ZADD / XADD in
// batches, XSETID for a stream's last id, PEXPIREAT for a TTL. The caller wraps each key's commands in
// MULTI/EXEC when there are several.

import type { RedisRecord } from '../../adapters/redis/records.ts';

export type Command = readonly Buffer[];

/** Elements per command (and at most about BATCH_BYTES of arguments). */
const BATCH_ELEMENTS = 512;
const BATCH_BYTES = 1024 * 1024;
/** Consumer group used to create an empty stream (created and destroyed in the same transaction). */
const EMPTY_STREAM_GROUP = Buffer.from('elastickv-snapshot-export');

const arg = (s: string): Buffer => Buffer.from(s, 'utf8');

/** A score as Redis parses it back to the same float64 (shortest round-trip decimal, or ±inf). */
function scoreArg(score: number): Buffer {
  if (score === Infinity) return arg('+inf');
  if (score === -Infinity) return arg('-inf');
  return arg(Object.is(score, -0) ? '-0' : String(score));
}

/** Splits `groups` (each one or more arguments) into commands `head ‖ groups…` of bounded size. */
function* batched(head: Command, groups: Iterable<readonly Buffer[]>): Generator<Command> {
  let args: Buffer[] = [];
  let n = 0;
  let bytes = 0;
  for (const g of groups) {
    args.push(...g);
    n++;
    for (const b of g) bytes += b.length;
    if (n >= BATCH_ELEMENTS || bytes >= BATCH_BYTES) {
      yield [...head, ...args];
      args = [];
      n = 0;
      bytes = 0;
    }
  }
  if (n > 0) yield [...head, ...args];
}

/** Why a record cannot exist on a Redis server, or undefined. */
export function unrepresentable(rec: RedisRecord): string | undefined {
  switch (rec.type) {
    case 'hash':
      return rec.fields.length === 0 ? 'empty hash' : undefined;
    case 'set':
    case 'zset':
      return rec.members.length === 0 ? `empty ${rec.type}` : undefined;
    case 'list':
      return rec.items.length === 0 ? 'empty list' : undefined;
    default:
      return undefined;
  }
}

/** The commands that make the target's key equal the record (DEL first), and the record's expiry (0: none). */
export async function keyCommands(
  rec: RedisRecord,
): Promise<{ readonly commands: Command[]; readonly expireAtMs: bigint }> {
  const commands: Command[] = [];
  let expireAtMs = 0n;
  for await (const c of commandsFor(rec, (ms) => (expireAtMs = ms))) commands.push(c);
  return { commands, expireAtMs };
}

async function* commandsFor(rec: RedisRecord, expiry: (ms: bigint) => void): AsyncGenerator<Command> {
  const k = rec.key;
  yield [arg('DEL'), k];
  let expireAtMs = 0n;
  switch (rec.type) {
    case 'string':
    case 'hll':
      yield [arg('SET'), k, rec.value];
      expireAtMs = rec.expireAtMs;
      break;
    case 'hash':
      yield* batched([arg('HSET'), k], rec.fields);
      expireAtMs = rec.expireAtMs;
      break;
    case 'list':
      yield* batched([arg('RPUSH'), k], rec.items.map((i) => [i]));
      expireAtMs = rec.expireAtMs;
      break;
    case 'set':
      yield* batched([arg('SADD'), k], rec.members.map((m) => [m]));
      expireAtMs = rec.expireAtMs;
      break;
    case 'zset':
      yield* batched([arg('ZADD'), k], rec.members.map(([m, s]) => [scoreArg(s), m]));
      expireAtMs = rec.expireAtMs;
      break;
    case 'stream':
      for await (const line of rec.lines()) {
        if (line.kind === 'entry') {
          yield [arg('XADD'), k, arg(line.id), ...line.fields];
          continue;
        }
        if (line.length === 0n) {
          yield [arg('XGROUP'), arg('CREATE'), k, EMPTY_STREAM_GROUP, arg('$'), arg('MKSTREAM')];
          yield [arg('XGROUP'), arg('DESTROY'), k, EMPTY_STREAM_GROUP];
        }
        yield [arg('XSETID'), k, arg(`${line.lastMs}-${line.lastSeq}`)];
        expireAtMs = line.expireAtMs;
      }
      break;
  }
  expiry(expireAtMs);
  if (expireAtMs !== 0n) yield [arg('PEXPIREAT'), k, arg(expireAtMs.toString())];
}
