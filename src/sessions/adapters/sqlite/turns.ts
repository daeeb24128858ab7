import type Database from 'better-sqlite3';
import { DAY_MS, TURN_LEDGER_RETENTION_DAYS, type Clock } from '../../../core/clock.js';
import { parseRequestId, parseSessionId, type RequestId } from '../../../core/ids.js';
import type { ConversationKey } from '../../../core/keys.js';
import type { TurnLedger, TurnRecord } from '../../types.js';
import { guarded } from './errors.js';

const RETENTION_MS = TURN_LEDGER_RETENTION_DAYS * DAY_MS;

interface Row {
  tenant: string;
  chat: string;
  thread: string;
  request_id: string;
  state: string;
  session_id: string;
  entries_before: number;
  turns_before: number;
  started_at: number;
  completed_at: number | null;
  result: string | null;
  delivered: number;
  expires_at: number;
}

function toRecord(key: ConversationKey, row: Row): TurnRecord {
  return {
    key,
    requestId: parseRequestId(row.request_id),
    state: row.state === 'done' ? 'done' : 'started',
    sessionId: parseSessionId(row.session_id),
    entriesBefore: row.entries_before,
    turnsBefore: row.turns_before,
    startedAt: row.started_at,
    ...(row.completed_at !== null ? { completedAt: row.completed_at } : {}),
    ...(row.result !== null ? { result: row.result } : {}),
    delivered: row.delivered === 1,
    expiresAt: row.expires_at,
  };
}

/**
 * The turn ledger in its own table, one row per (conversation, request id). Each method is one
 * statement (atomic across processes); a record is live while `now < expires_at`.
 */
export function createSqliteTurns(db: Database.Database, clock: Clock): TurnLedger {
  const where = 'tenant = @tenant AND chat = @chat AND thread = @thread AND request_id = @requestId';
  const q = {
    get: db.prepare<Record<string, string | number>, Row>(
      `SELECT * FROM turns WHERE ${where} AND expires_at > @now`,
    ),
    purge: db.prepare<[number]>('DELETE FROM turns WHERE expires_at <= ?'),
    begin: db.prepare<Record<string, string | number>, Row>(
      `INSERT OR REPLACE INTO turns (tenant, chat, thread, request_id, state, session_id, entries_before,
         turns_before, started_at, completed_at, result, delivered, expires_at)
       VALUES (@tenant, @chat, @thread, @requestId, 'started', @sessionId, @entriesBefore, @turnsBefore,
         @now, NULL, NULL, 0, @expiresAt)
       RETURNING *`,
    ),
    complete: db.prepare<Record<string, string | number>, Row>(
      `UPDATE turns SET state = 'done', result = @result, completed_at = @now, expires_at = @expiresAt
       WHERE ${where} AND expires_at > @now RETURNING *`,
    ),
    delivered: db.prepare<Record<string, string | number>>(
      `UPDATE turns SET delivered = 1 WHERE ${where} AND state = 'done' AND expires_at > @now`,
    ),
  };
  const params = (key: ConversationKey, requestId: RequestId) => {
    const now = Math.floor(clock.now());
    return {
      tenant: key.tenant,
      chat: key.chat,
      thread: key.thread,
      requestId: parseRequestId(requestId),
      now,
      expiresAt: now + RETENTION_MS,
    };
  };

  return {
    async get(key, requestId) {
      const row = guarded('turns.get', () => q.get.get(params(key, requestId)));
      return row ? toRecord(key, row) : null;
    },

    async begin(key, requestId, start) {
      const p = {
        ...params(key, requestId),
        sessionId: parseSessionId(start.sessionId),
        entriesBefore: start.entriesBefore,
        turnsBefore: start.turnsBefore,
      };
      const row = guarded('turns.begin', () =>
        db.transaction(() => {
          q.purge.run(p.now);
          return q.begin.get(p);
        })(),
      );
      if (!row) throw new Error('[sessions:sqlite] turns.begin returned no row');
      return toRecord(key, row);
    },

    async complete(key, requestId, result) {
      const row = guarded('turns.complete', () => q.complete.get({ ...params(key, requestId), result }));
      return row ? toRecord(key, row) : null;
    },

    async markDelivered(key, requestId) {
      const res = guarded('turns.markDelivered', () => q.delivered.run(params(key, requestId)));
      return res.changes > 0;
    },
  };
}
