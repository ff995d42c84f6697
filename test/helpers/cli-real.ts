// The CLI's real entry point with every adapter, for tests that run it in a child process (a pseudo-terminal).
import { main } from '../../src/cli/main.ts';

await main('elastickv-snapshot');
