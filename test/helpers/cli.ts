// Runs a CLI command in-process with captured output.
import { Writable } from 'node:stream';
import type { Adapter } from '../../src/adapters/adapter.ts';
import { run } from '../../src/cli/main.ts';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function sink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

export async function runCli(tool: string, args: readonly string[], adapters?: readonly Adapter[]): Promise<CliRun> {
  const stdout = sink();
  const stderr = sink();
  const code = await run(tool, args, { stdout, stderr, env: {} }, adapters);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
