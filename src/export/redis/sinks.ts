// Where Redis commands go: a live server (pipelined through ioredis, a bounded window of unanswered keys), a
// RESP file for `redis-cli --pipe` (written next to its path and renamed into place when complete), or
// nowhere (dry run).

import { createWriteStream, promises as fsp, type WriteStream } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { Redis } from 'ioredis';
import type { RedisRecord } from '../../adapters/redis/records.ts';
import { asError, DataError, UserError, quoteBytes } from '../../errors.ts';
import { randomHex } from '../../tree/publish.ts';
import { trackTemp } from '../../tree/temp-paths.ts';
import type { Command } from './commands.ts';
import { respCommand } from './resp.ts';
import type { RedisSink } from './export.ts';

const MULTI: Command = [Buffer.from('MULTI')];
const EXEC: Command = [Buffer.from('EXEC')];

/** Each key as it goes: one command alone, several inside MULTI … EXEC. */
const framed = (commands: readonly Command[]): readonly Command[] =>
  commands.length > 1 ? [MULTI, ...commands, EXEC] : commands;

function refused(rec: RedisRecord, why: string): DataError {
  return new DataError('EXPORT_TARGET_REFUSED', `the Redis target refused ${rec.type} ${quoteBytes(rec.key)} of database ${rec.db}: ${why}`, { path: rec.path });
}

/** A redis:// or rediss:// URL shown without its credentials. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

export class DryRunSink implements RedisSink {
  async write(): Promise<void> {}
  async close(): Promise<void> {}
}

/** RESP commands into a file (or stdout when `path` is `-`). */
export class RespFileSink implements RedisSink {
  readonly #out: NodeJS.WritableStream;
  /** The temporary file `#out` writes (undefined on stdout). */
  readonly #file: WriteStream | undefined;
  readonly #path: string | undefined;
  readonly #tmp: string | undefined;
  readonly #forget: (() => void) | undefined;

  constructor(path: string, stdout: NodeJS.WritableStream) {
    if (path === '-') {
      this.#out = stdout;
      return;
    }
    this.#path = path;
    this.#tmp = join(dirname(path), `.${basename(path)}.tmp-${randomHex()}`);
    this.#forget = trackTemp(this.#tmp);
    this.#file = createWriteStream(this.#tmp, { flags: 'wx' });
    this.#out = this.#file;
  }

  async write(_rec: RedisRecord, commands: readonly Command[]): Promise<void> {
    for (const c of framed(commands)) {
      if (!this.#out.write(respCommand(c))) await new Promise<void>((resolve) => this.#out.once('drain', resolve));
    }
  }

  async close(ok: boolean): Promise<void> {
    const out = this.#file;
    if (out === undefined || this.#tmp === undefined || this.#path === undefined) return;
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => { resolve(); });
    });
    try {
      if (!ok) await fsp.rm(this.#tmp, { force: true });
      else await fsp.rename(this.#tmp, this.#path);
    } finally {
      this.#forget?.();
    }
  }
}

/** At most this many keys or bytes of commands are sent ahead of their replies. */
const WINDOW_KEYS = 256;
const WINDOW_BYTES = 32 * 1024 * 1024;

export class LiveRedisSink implements RedisSink {
  readonly #client: Redis;
  readonly #pending: Array<{ readonly done: Promise<void>; readonly bytes: number }> = [];
  #pendingBytes = 0;
  #error: Error | undefined;

  private constructor(client: Redis) {
    this.#client = client;
  }

  /** Connects to `url` (redis://[user:password@]host:port/db); credentials come from the URL only. */
  static async connect(url: string): Promise<LiveRedisSink> {
    let client: Redis;
    try {
      client = new Redis(url, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
    } catch (err) {
      throw new UserError('EXPORT_TARGET_URL_INVALID', `invalid Redis URL ${redactRedisUrl(url)}: ${(err as Error).message}`);
    }
    client.on('error', () => undefined); // reported through the failing command or connect()
    try {
      await client.connect();
    } catch (err) {
      client.disconnect();
      throw new UserError('EXPORT_TARGET_UNREACHABLE', `cannot connect to ${redactRedisUrl(url)}: ${(err as Error).message}`);
    }
    return new LiveRedisSink(client);
  }

  async write(rec: RedisRecord, commands: readonly Command[]): Promise<void> {
    this.#throwIfFailed();
    let bytes = 0;
    for (const c of commands) for (const a of c) bytes += a.length;
    const done = this.#send(rec, commands).catch((err: unknown) => {
      this.#error ??= asError(err);
    });
    this.#pending.push({ done, bytes });
    this.#pendingBytes += bytes;
    while (this.#pending.length > WINDOW_KEYS || (this.#pendingBytes > WINDOW_BYTES && this.#pending.length > 1)) {
      const first = this.#pending.shift();
      if (first === undefined) break;
      await first.done;
      this.#pendingBytes -= first.bytes;
    }
    this.#throwIfFailed();
  }

  async #send(rec: RedisRecord, commands: readonly Command[]): Promise<void> {
    try {
      const [first] = commands;
      if (commands.length === 1 && first !== undefined) {
        const [name, ...args] = first;
        if (name === undefined) throw refused(rec, 'empty command');
        await this.#client.call(name.toString(), ...args);
        return;
      }
      const tx = this.#client.multi();
      for (const [n, ...a] of commands) {
        if (n === undefined) throw refused(rec, 'empty command');
        tx.call(n.toString(), ...a);
      }
      const replies = await tx.exec();
      if (replies === null) throw refused(rec, 'transaction discarded');
      for (const [err] of replies) if (err !== null) throw refused(rec, err.message);
    } catch (err) {
      if (err instanceof DataError) throw err;
      const e = err as Error & { previousErrors?: Error[] };
      const why = e.previousErrors?.[0]?.message ?? e.message;
      if (/connection|ECONN|EPIPE|closed/i.test(why)) throw new UserError('EXPORT_TARGET_UNREACHABLE', `lost the Redis target while writing ${quoteBytes(rec.key)}: ${why}`, { path: rec.path });
      throw refused(rec, why);
    }
  }

  /** A method, not an inline check: #error is set by callbacks while write() awaits. */
  #throwIfFailed(): void {
    if (this.#error !== undefined) throw this.#error;
  }

  async close(): Promise<void> {
    for (const p of this.#pending) await p.done;
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    await this.#client.quit().catch(() => { this.#client.disconnect(); });
    this.#throwIfFailed();
  }
}
