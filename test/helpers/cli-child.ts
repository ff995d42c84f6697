// Child process for the interrupt test: the CLI's real entry point (signal handling included) with the echo
// adapter standing in for redis.
import { main } from '../../src/cli/main.ts';
import { echoAdapter } from './echo-adapter.ts';

await main('elastickv-snapshot', [echoAdapter('redis', '!echo|')]);
