// Runs the real command-line entry point (signal handling and process.exit included) in a child process, with
// every adapter of the build, under a timeout: a run that does not end in time is killed and reported as hung.
import { spawn } from 'node:child_process';

const child = new URL('./real-cli-child.ts', import.meta.url).pathname;

export interface ProcessRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the run had to be killed after `timeoutMs`. */
  readonly hung: boolean;
}

export interface ProcessOptions {
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
  /** Called once the child has started, e.g. to send it a signal. */
  readonly onSpawn?: (pid: number) => void;
}

export function runCliProcess(args: readonly string[], opts: ProcessOptions = {}): Promise<ProcessRun> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => (stdout += String(c)));
  proc.stderr.on('data', (c) => (stderr += String(c)));
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    proc.kill('SIGKILL');
  }, opts.timeoutMs ?? 60_000);
  if (proc.pid !== undefined) opts.onSpawn?.(proc.pid);
  return new Promise((resolve) => {
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, hung });
    });
  });
}
