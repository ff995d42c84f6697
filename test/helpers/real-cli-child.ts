// Child process: the CLI's real entry point with every adapter of the build.
import { main } from '../../src/cli/main.ts';

await main('elastickv-snapshot');
