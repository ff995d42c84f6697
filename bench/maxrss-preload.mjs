// Preloaded into a benchmarked command (node --import): writes its peak RSS (bytes) to $BENCH_RSS_FILE on exit.
// On Linux it reads VmHWM from /proc/self/status, the peak of this process's own address space: getrusage's
// maxrss survives exec, so a child spawned by a large parent would report the parent's size as its own.
import { readFileSync, writeFileSync } from 'node:fs';

function peakRssBytes() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS * 1024;
}

const file = process.env.BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(peakRssBytes())));
