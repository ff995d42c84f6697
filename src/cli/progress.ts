// Progress on stderr for long runs: a live bar only when stderr is a terminal and --quiet is off.

import cliProgress from 'cli-progress';
import type { CliIO } from './io.ts';

export type ProgressUnit = 'bytes' | 'rows';

export interface Progress {
  /** `total` 0 means not known yet (no percentage or ETA). */
  update(done: number, total: number, detail: string, unit?: ProgressUnit): void;
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
      formatValue: (v: number, _o: unknown, type: string) => (type === 'eta' && v <= 0 ? '?' : String(v)),
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  let lastUnit: ProgressUnit | undefined;
  let phaseStart = started;
  let phaseBase = 0;
  return {
    update(done, total, detail, unit = 'bytes') {
      if (unit !== lastUnit || total === 0) {
        // A new phase or an unknown total: restart the rate and ETA from here.
        lastUnit = unit;
        phaseStart = Date.now();
        phaseBase = done;
      }
      const secs = Math.max(0.001, (Date.now() - phaseStart) / 1000);
      const show = unit === 'bytes' ? humanBytes : (n: number): string => `${n} rows`;
      const rate = unit === 'bytes' ? `${((done - phaseBase) / MB / secs).toFixed(1)} MB/s` : `${Math.round((done - phaseBase) / secs)} rows/s`;
      const payload = { doneH: show(done), totalH: total === 0 ? '?' : show(total), rate, detail };
      if (!startedBar) {
        bar.start(Math.max(1, total === 0 ? done : total), done, payload);
        startedBar = true;
      } else {
        bar.setTotal(Math.max(1, total === 0 ? done : total));
        bar.update(done, payload);
      }
    },
    stop() {
      if (startedBar) bar.stop();
    },
  };
}
