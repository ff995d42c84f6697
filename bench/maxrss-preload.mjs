// Preloaded into a benchmarked command (node --import): writes its peak RSS (bytes) to $BENCH_RSS_FILE on exit.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
