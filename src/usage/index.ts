/**
 * Usage accounting and budgets: every turn's tokens and cost per tenant, conversation and user,
 * with day/month/all counters updated atomically, and budget checks before the model is called.
 * Backends live in `adapters/` and are loaded lazily (local runs never load the AWS SDK, cloud
 * builds never load better-sqlite3); each runs the shared conformance suite (`conformance.ts`,
 * test-only, not exported here).
 */
import type { SqliteUsageStore, SqliteUsageStoreOptions } from './adapters/sqlite/index.js';
import type { DynamoUsageStoreOptions } from './adapters/dynamodb/index.js';
import type { UsageStore } from './types.js';

export type {
  BudgetCheck,
  BudgetDecision,
  BudgetLimit,
  BudgetRefusal,
  Budgets,
  TokenCounts,
  UsageScope,
  UsageStore,
  UsageTotals,
  UsageTurn,
  UsageWindow,
  UsageDay,
  UsageModelDay,
} from './types.js';
export { MAX_HISTORY_DAYS, historyDays } from './history.js';
export { MAX_MODELS_PER_DAY } from './counters.js';
export type { SqliteUsageStore, SqliteUsageStoreOptions } from './adapters/sqlite/index.js';
export type { DynamoUsageStoreOptions } from './adapters/dynamodb/index.js';
export { USAGE_RETENTION_DAYS, type UsageStoreOptions } from './store.js';
export { InvalidUsageError } from './errors.js';
export { formatUsd } from './budget.js';

/** Opens the SQLite usage store (`file` may be the sessions' database file), loading better-sqlite3 lazily. */
export async function openSqliteUsageStore(options: SqliteUsageStoreOptions): Promise<SqliteUsageStore> {
  const { createSqliteUsageStore } = await import('./adapters/sqlite/index.js');
  return createSqliteUsageStore(options);
}

/** Opens the DynamoDB usage store on the sessions' table, loading the AWS SDK lazily. */
export async function openDynamoUsageStore(options: DynamoUsageStoreOptions): Promise<UsageStore> {
  const { createDynamoUsageStore } = await import('./adapters/dynamodb/index.js');
  return createDynamoUsageStore(options);
}
