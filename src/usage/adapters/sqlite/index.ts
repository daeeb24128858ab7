import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { OmniError, StorageError, errorMessage } from '../../../core/errors.js';
import type { TenantId } from '../../../core/ids.js';
import {
  MAX_MODELS_PER_DAY,
  type CounterValues,
  type CounterWrite,
  type StoredTurn,
} from '../../counters.js';
import { createUsageStore, type UsageBackend, type UsageStoreOptions } from '../../store.js';
import type { UsageStore } from '../../types.js';
import { prepareUsageTables } from './schema.js';

export { USAGE_SCHEMA_VERSION } from './schema.js';

export interface SqliteUsageStoreOptions extends UsageStoreOptions {
  /** The database file (created if missing); may be the sessions' file — usage owns its own tables. */
  file?: string;
  /** An open connection to share (e.g. the session storage's); it is not closed by `close()`. */
  db?: Database.Database;
  /** How long a statement waits for another process's write lock (default 5000 ms; only with `file`). */
  busyTimeoutMs?: number;
}

export interface SqliteUsageStore extends UsageStore {
  /** Absolute path of the database file. */
  readonly file: string;
}

const PURGE_EVERY_MS = 60 * 60 * 1000;

interface CounterRow {
  counter: string;
  turns: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cost_micro_usd: number;
  models: string | null;
}

/** A row's model set (JSON array of strings); anything else reads as none. */
function modelsOf(json: string): string[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((m): m is string => typeof m === 'string') : [];
}

function translate(operation: string, err: unknown): Error {
  if (err instanceof OmniError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const busy = code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
  return new StorageError(`[usage:sqlite] ${operation} failed: ${errorMessage(err)}`, {
    cause: err,
    code: busy ? 'storage_busy' : 'storage_error',
  });
}

function guarded<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw translate(operation, err);
  }
}

/**
 * Usage in SQLite: each `record` is one IMMEDIATE transaction (raw row + ten counter upserts; the
 * tenant's day counter also adds the model to its `models` JSON set), so
 * totals stay exact with several processes on one file. Expired rows read as absent and are
 * purged at most hourly by the writer.
 */
export function createSqliteUsageStore(options: SqliteUsageStoreOptions): SqliteUsageStore {
  const owned = options.db === undefined;
  let db: Database.Database;
  if (options.db) {
    db = options.db;
  } else if (options.file) {
    const file = resolve(options.file);
    db = guarded(`opening ${file}`, () => {
      mkdirSync(dirname(file), { recursive: true });
      const opened = new Database(file);
      opened.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      opened.pragma('journal_mode = WAL');
      opened.pragma('synchronous = NORMAL');
      return opened;
    });
  } else {
    throw new TypeError('[usage:sqlite] createSqliteUsageStore needs `file` or `db`');
  }
  guarded('creating the usage tables', () => prepareUsageTables(db));

  const q = {
    insertTurn: db.prepare(
      `INSERT INTO usage_turns (tenant, chat, thread, user_id, session_id, model, input_tokens, output_tokens,
         cache_creation_tokens, cache_read_tokens, cost_micro_usd, duration_ms, at, expires_at)
       VALUES (@tenant, @chat, @thread, @userId, @sessionId, @model, @input, @output, @cacheCreation,
         @cacheRead, @costMicroUsd, @durationMs, @at, @expiresAt)`,
    ),
    bump: db.prepare(
      `INSERT INTO usage_counters (tenant, counter, turns, input_tokens, output_tokens, cache_creation_tokens,
         cache_read_tokens, cost_micro_usd, updated_at, expires_at, models)
       VALUES (@tenant, @counter, @turns, @input, @output, @cacheCreation, @cacheRead, @costMicroUsd, @now, @expiresAt,
         CASE WHEN @model IS NULL THEN NULL ELSE json_array(@model) END)
       ON CONFLICT (tenant, counter) DO UPDATE SET
         turns = excluded.turns + CASE WHEN expires_at <= @now THEN 0 ELSE turns END,
         input_tokens = excluded.input_tokens + CASE WHEN expires_at <= @now THEN 0 ELSE input_tokens END,
         output_tokens = excluded.output_tokens + CASE WHEN expires_at <= @now THEN 0 ELSE output_tokens END,
         cache_creation_tokens = excluded.cache_creation_tokens
           + CASE WHEN expires_at <= @now THEN 0 ELSE cache_creation_tokens END,
         cache_read_tokens = excluded.cache_read_tokens + CASE WHEN expires_at <= @now THEN 0 ELSE cache_read_tokens END,
         cost_micro_usd = excluded.cost_micro_usd + CASE WHEN expires_at <= @now THEN 0 ELSE cost_micro_usd END,
         updated_at = @now,
         expires_at = excluded.expires_at,
         models = CASE
           WHEN expires_at <= @now OR models IS NULL THEN excluded.models
           WHEN @model IS NULL OR json_array_length(models) >= @maxModels
             OR EXISTS (SELECT 1 FROM json_each(models) WHERE value = @model) THEN models
           ELSE json_insert(models, '$[#]', @model) END`,
    ),
    read: db.prepare<[string, string, number], CounterRow>(
      'SELECT * FROM usage_counters WHERE tenant = ? AND counter = ? AND expires_at > ?',
    ),
    purgeTurns: db.prepare('DELETE FROM usage_turns WHERE expires_at <= ?'),
    purgeCounters: db.prepare('DELETE FROM usage_counters WHERE expires_at <= ?'),
  };

  let lastPurge = Number.NEGATIVE_INFINITY;
  const writeTx = db.transaction((turn: StoredTurn, counters: readonly CounterWrite[], now: number) => {
    if (now - lastPurge >= PURGE_EVERY_MS) {
      q.purgeTurns.run(now);
      q.purgeCounters.run(now);
      lastPurge = now;
    }
    q.insertTurn.run({
      tenant: turn.tenant,
      chat: turn.chat,
      thread: turn.thread,
      userId: turn.userId,
      sessionId: turn.sessionId,
      model: turn.model,
      ...turn.values,
      durationMs: turn.durationMs,
      at: turn.at,
      expiresAt: turn.expiresAt,
    });
    for (const c of counters) {
      q.bump.run({
        tenant: turn.tenant,
        counter: c.key,
        ...turn.values,
        now,
        expiresAt: c.expiresAt,
        model: c.model ?? null,
        maxModels: MAX_MODELS_PER_DAY,
      });
    }
  });

  const backend: UsageBackend = {
    async write(turn, counters, now) {
      guarded(`record for ${turn.tenant}`, () => writeTx.immediate(turn, counters, now));
    },
    async read(tenant: TenantId, keys, now) {
      const out = new Map<string, CounterValues>();
      guarded(`read counters of ${tenant}`, () => {
        for (const key of keys) {
          const row = q.read.get(tenant, key, now);
          if (row) {
            out.set(key, {
              turns: row.turns,
              input: row.input_tokens,
              output: row.output_tokens,
              cacheCreation: row.cache_creation_tokens,
              cacheRead: row.cache_read_tokens,
              costMicroUsd: row.cost_micro_usd,
              ...(row.models === null ? {} : { models: modelsOf(row.models) }),
            });
          }
        }
      });
      return out;
    },
    async close() {
      if (owned && db.open) db.close();
    },
  };

  return { ...createUsageStore(backend, options), file: db.name };
}
