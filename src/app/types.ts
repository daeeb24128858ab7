import type { WarmPool } from '../agent/warm/pool.js';
import type { AgentRunner } from '../agent/types.js';
import type { ModelProvider } from '../agent/provider.js';
import type { AppEnv } from '../config/env.js';
import type { Logger } from '../core/logger.js';
import type { Storage } from '../sessions/types.js';
import type { ResolvedTenants } from '../tenants/index.js';
import type { UsageStore } from '../usage/index.js';
import type { SendBudgets } from '../telegram/send-budget/types.js';

/** Everything a process needs, built once by `buildDeps(env)` and injected everywhere. */
export interface AppDeps {
  env: AppEnv;
  /** The raw environment `buildDeps` was given (for `${VAR}` in mcp.json when a config is read again). */
  rawEnv?: Record<string, string | undefined>;
  logger: Logger;
  /** Every tenant of the deployment with its secrets read (a single `default`-like tenant without a file). */
  tenants: ResolvedTenants;
  storage: Storage;
  /** Usage accounting and budgets, on the same backend as `storage`. */
  usage: UsageStore;
  runner: AgentRunner;
  /** Each Telegram bot's send budget (`Stores.sendBudgets`); undefined: not paced. */
  sendBudgets?: SendBudgets | undefined;
  provider: ModelProvider;
  /** Live agent processes between turns (`/debug` and metrics read its stats). */
  warm: WarmPool;
  /** Closes the live agent processes, stops the offline model server (if started) and closes storage and usage. */
  close(): Promise<void>;
}
