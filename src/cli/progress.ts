// Progress on stderr for long runs: a live bar only when stderr is a terminal and --quiet is off.

import cliProgress from 'cli-progress';
import type { CliIO } from './io.ts';

export interface Progress {
  update(done: number, total: number, detail: string): void;
  stop(): void;
}

const MB = 1024 * 1024;

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * MB) return `${(n / MB).toFixed(1)} MiB`;
  return `${(n / (1024 * MB)).toFixed(2)} GiB`;
}

export function startProgress(io: CliIO, quiet: boolean, label: string): Progress {
  if (quiet || io.stderr.isTTY !== true) return { update: () => undefined, stop: () => undefined };
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format: `${label} [{bar}] {percentage}% | {doneH}/{totalH} | {rate} | ETA {eta_formatted} | {detail}`,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  return {
    update(done, total, detail) {
      const secs = Math.max(0.001, (Date.now() - started) / 1000);
      const payload = { doneH: humanBytes(done), totalH: humanBytes(total), rate: `${(done / MB / secs).toFixed(1)} MB/s`, detail };
      if (!startedBar) {
        bar.start(Math.max(1, total), done, payload);
        startedBar = true;
      } else {
        bar.setTotal(Math.max(1, total));
        bar.update(done, payload);
      }
    },
    stop() {
      if (startedBar) bar.stop();
    },
  };
}
