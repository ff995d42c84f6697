// The Redis protocol's request form (RESP arrays of bulk strings), as `redis-cli --pipe` reads it. Hand-written:
// it is four lines, and the client library keeps its encoder private.

import type { Command } from './commands.ts';

export function respCommand(cmd: Command): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${cmd.length}\r\n`)];
  for (const a of cmd) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}
