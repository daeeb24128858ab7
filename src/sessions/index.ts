/**
 * Sessions: the SDK `SessionStore` seam plus the conversation map and single-writer leases, behind
 * one `Storage` interface. Backends live in `adapters/`; each runs the shared conformance suite
 * (`conformance.ts`, test-only, not exported here). The SQLite backend (`createSqliteStorage`) is
 * imported from `./adapters/sqlite/index.js` (or loaded with `import()`), so importing this barrel
 * never loads better-sqlite3.
 */
export type {
  ConversationMap,
  ConversationRecord,
  Lease,
  LeaseManager,
  SessionKey,
  SessionStore,
  SessionStoreEntry,
  StopOutcome,
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
