// Progress on stderr for long runs, one line per phase: a bar with its own rate and ETA where the phase's
// total is known, a spinner with counts where it is not. A line is redrawn on a timer, so the elapsed time and
// the rate move even while the counts do not (never frozen), and the rate only ever counts this phase's work
// (never negative). When a phase ends its line is finished with its total, time and rate. Nothing is drawn
// unless stderr is a terminal and --quiet is off; the phase times are kept either way for the summary.

import type { CliIO } from './io.ts';

type ProgressUnit = 'bytes' | 'rows' | 'files' | 'entries' | 'records';

export interface PhaseTime {
  readonly name: string;
  readonly seconds: number;
  readonly done: number;
  readonly unit: ProgressUnit;
}

export interface Progress {
  /** Where `phase` is; a phase name not seen last ends the previous phase's line. `total` 0 = not known. */
  update(phase: string, done: number, total: number, unit: ProgressUnit, detail?: string): void;
  /** Ends the last phase; returns every phase's duration (also when nothing was drawn). */
  stop(): PhaseTime[];
}

const MB = 1024 * 1024;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const BAR = 24;

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * MB) return `${(n / MB).toFixed(1)} MiB`;
  return `${(n / (1024 * MB)).toFixed(2)} GiB`;
}

/**
 * An integer with thousands separators, as toLocaleString('en-US') writes it; without the ICU start-up that
 * toLocaleString costs at its first call (~10 ms, paid by every decode, even --quiet, when it built the detail).
 */
export function groupDigits(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, ',');
}

function amount(n: number, unit: ProgressUnit): string {
  return unit === 'bytes' ? humanBytes(n) : `${groupDigits(n)} ${unit}`;
}

function rate(n: number, secs: number, unit: ProgressUnit): string {
  const per = Math.max(0, n) / Math.max(secs, 0.001);
  return unit === 'bytes' ? `${(per / MB).toFixed(1)} MB/s` : `${groupDigits(per)} ${unit}/s`;
}

function duration(secs: number): string {
  if (secs < 60) return `${secs.toFixed(1)}s`;
  const m = Math.floor(secs / 60);
  return `${m}m${Math.round(secs - m * 60).toString().padStart(2, '0')}s`;
}

/** "read 7.4s, finalize 12.0s": the phase times for a summary line. */
export function phaseSummary(phases: readonly PhaseTime[]): string {
  return phases.map((p) => `${p.name} ${duration(p.seconds)}`).join(', ');
}

interface Phase {
  readonly name: string;
  readonly started: number;
  readonly unit: ProgressUnit;
  done: number;
  total: number;
  detail: string;
}

export function startProgress(io: CliIO, quiet: boolean, label: string, now: () => number = Date.now): Progress {
  const draw = !quiet && io.stderr.isTTY === true;
  const finished: PhaseTime[] = [];
  let current: Phase | undefined;
  let frame = 0;
  const timer = draw ? setInterval(() => { render(); }, 200) : undefined;
  timer?.unref();

  function line(p: Phase): string {
    const secs = (now() - p.started) / 1000;
    const head = `${label} ${p.name.padEnd(9)}`;
    const tail = p.detail === '' ? '' : `  ${p.detail}`;
    if (p.total > 0) {
      const frac = Math.min(1, p.done / p.total);
      const filled = Math.round(frac * BAR);
      const perSec = p.done / Math.max(secs, 0.001);
      const eta = perSec > 0 && p.done < p.total ? `  ETA ${duration((p.total - p.done) / perSec)}` : '';
      return `${head} [${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}] ${Math.floor(frac * 100)
        .toString()
        .padStart(3)}%  ${amount(p.done, p.unit)}/${amount(p.total, p.unit)}  ${rate(p.done, secs, p.unit)}${eta}${tail}`;
    }
    return `${head} ${SPINNER[frame % SPINNER.length]} ${amount(p.done, p.unit)}  ${rate(p.done, secs, p.unit)}  ${duration(secs)}${tail}`;
  }

  function render(): void {
    if (current === undefined) return;
    frame++;
    io.stderr.write(`\r\x1b[2K${line(current)}`);
  }

  function end(): void {
    if (current === undefined) return;
    const p = current;
    const secs = (now() - p.started) / 1000;
    finished.push({ name: p.name, seconds: secs, done: p.done, unit: p.unit });
    if (draw) io.stderr.write(`\r\x1b[2K${label} ${p.name.padEnd(9)} done: ${amount(p.done, p.unit)} in ${duration(secs)} (${rate(p.done, secs, p.unit)})\n`);
    current = undefined;
  }

  return {
    update(phase, done, total, unit, detail = '') {
      if (current?.name !== phase) {
        end();
        current = { name: phase, started: now(), unit, done: 0, total: 0, detail: '' };
      }
      current.done = Math.max(current.done, done);
      current.total = total;
      current.detail = detail;
      if (draw && frame === 0) render();
    },
    stop() {
      end();
      if (timer !== undefined) clearInterval(timer);
      return finished;
    },
  };
}
