import type { AgentRunner } from '../agent/types.js';
import type { ModelProvider } from '../agent/provider.js';
import type { AppEnv } from '../config/env.js';
import type { Logger } from '../core/logger.js';
import type { Storage } from '../sessions/types.js';

/** Everything a process needs, built once by `buildDeps(env)` and injected everywhere. */
export interface AppDeps {
  env: AppEnv;
  logger: Logger;
  storage: Storage;
  runner: AgentRunner;
  provider: ModelProvider;
  /** Stops the offline model server (if started) and closes storage. */
  close(): Promise<void>;
}
