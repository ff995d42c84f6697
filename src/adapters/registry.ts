// Every adapter this build knows, in no particular order (pipelines impose their own).

import type { Adapter } from './adapter.ts';
import { redisAdapter } from './redis/index.ts';

export const ALL_ADAPTERS: readonly Adapter[] = [redisAdapter];
