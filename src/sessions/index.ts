/**
 * Sessions: the SDK `SessionStore` seam plus the conversation map and single-writer leases, behind
 * one `Storage` interface. Backends live in `adapters/`; each runs the shared conformance suite
 * (`conformance.ts`, test-only, not exported here).
 */
import type { SqliteStorage, SqliteStorageOptions } from './adapters/sqlite/index.js';

export type {
  ConversationMap,
  ConversationRecord,
  Lease,
  LeaseManager,
  SessionKey,
  SessionStore,
  SessionStoreEntry,
  Storage,
  TranscriptStat,
  TranscriptStore,
  TurnLedger,
  TurnRecord,
  TurnStart,
  TurnState,
} from './types.js';
export type { SqliteStorage, SqliteStorageOptions } from './adapters/sqlite/index.js';
export { createMemoryStorage, type MemoryStorage } from './adapters/memory/index.js';

/**
 * Opens the SQLite backend, loading the native `better-sqlite3` module only when called, so cloud
 * builds never load it. (Importing `./adapters/sqlite/index.js` directly gives the synchronous
 * `createSqliteStorage`.)
 */
export async function openSqliteStorage(options: SqliteStorageOptions): Promise<SqliteStorage> {
  const { createSqliteStorage } = await import('./adapters/sqlite/index.js');
  return createSqliteStorage(options);
}
