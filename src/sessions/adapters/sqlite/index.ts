import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../../core/clock.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import { createSqliteApprovalStore } from '../../../approvals/store/sqlite/index.js';
import { createLocalFileStore } from '../../../files/local.js';
import { createSqliteClaimStore, createSqliteScheduleStore } from '../../../schedules/store/sqlite.js';
import type { Storage } from '../../types.js';
import { createSqliteSessionCatalog } from '../../catalog/sqlite.js';
import { createSqliteConversations } from './conversations.js';
import { translate } from './errors.js';
import { createSqliteLeases } from './leases.js';
import { prepareDatabase } from './schema.js';
import { createSqliteTranscripts } from './transcripts.js';
import { createSqliteTurns } from './turns.js';

export { DEFAULT_LEASE_TTL_MS } from './leases.js';
export { SCHEMA_VERSION } from './schema.js';

/** File name used inside `dataDir`. */
export const SQLITE_FILE_NAME = 'omnicloud.sqlite';

export interface SqliteStorageOptions {
  /** The database file; or give `dataDir` and the file is `<dataDir>/omnicloud.sqlite`. */
  file?: string;
  dataDir?: string;
  clock?: Clock;
  logger?: Logger;
  /** How long a statement waits for another process's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Days approval records are kept after their deadline (default: the usage retention's, 400). */
  approvalRetentionDays?: number;
}

export interface SqliteStorage extends Storage {
  readonly kind: 'sqlite';
  /** Absolute path of the database file. */
  readonly file: string;
}

/**
 * Everything persistent in one SQLite file (WAL, busy timeout): transcripts, conversation map,
 * leases, the turn ledger, approvals, schedules and claims (files next to it, in `files/`). Several processes may open the same file; leases and fencing go through the database.
 */
export function createSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  const file = resolveFile(options);
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? silentLogger).child({ component: 'sessions:sqlite' });
  let db: Database.Database;
  try {
    mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    prepareDatabase(db, options.busyTimeoutMs ?? 5000);
  } catch (err) {
    throw translate(`opening ${file}`, err);
  }
  const transcripts = createSqliteTranscripts(db, file, clock);
  const leases = createSqliteLeases(db, clock, logger);
  logger.debug('opened', { file });

  return {
    kind: 'sqlite',
    file,
    transcripts: transcripts.store,
    transcriptsFor: (lease) => transcripts.guardedBy(leases.fence(lease)),
    conversations: createSqliteConversations(db, clock),
    leases: leases.manager,
    turns: createSqliteTurns(db, clock),
    approvals: createSqliteApprovalStore(db, { clock, retentionDays: options.approvalRetentionDays }),
    sessions: createSqliteSessionCatalog(db, clock),
    schedules: createSqliteScheduleStore(db),
    claims: createSqliteClaimStore(db, { clock }),
    // Next to the database file: `<data dir>/files/<tenant>/…`.
    files: createLocalFileStore(join(dirname(file), 'files')),
    async close() {
      if (db.open) db.close();
    },
  };
}

function resolveFile(options: SqliteStorageOptions): string {
  if (options.file) return resolve(options.file);
  if (options.dataDir) return resolve(join(options.dataDir, SQLITE_FILE_NAME));
  throw new TypeError('[sessions:sqlite] createSqliteStorage needs `file` or `dataDir`');
}
