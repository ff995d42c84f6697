// Child process for the crash test: encodes argv[2] (tree) to argv[3] (output) with the echo adapter.
import { dirname } from 'node:path';
import { encodeSnapshot } from '../../src/pipeline/encode.ts';
import { echoAdapter } from './echo-adapter.ts';

const [tree, output] = process.argv.slice(2) as [string, string];
await encodeSnapshot({ input: tree, output, adapters: [echoAdapter('redis', '!echo|')], selected: ['redis'], selfTest: true, memoryBudget: 1024 * 1024, scratchRoot: dirname(output) });
