import { StorageError } from '../../../core/errors.js';
import { guarded as guardedSqlite } from '../../../sessions/adapters/sqlite/errors.js';
import { RATE_UNITS, type RateUnit, type ScheduleRecord } from '../../types.js';

/**
 * The schedule and claim tables, created by the sessions' `prepareDatabase` in the same file (tables
 * are only ever added with `IF NOT EXISTS`). `schedules`: one row per (tenant, name), the record's
 * fields as columns (`timing_type` `cron` with `cron`, or `rate` with `rate_every` + `rate_unit`;
 * `thread` NULL, `'new'` or a topic id as text); never expires. `claims`: one row per (tenant, key),
 * live while `expires_at` (epoch ms) is after now; expired rows are replaced in place by the next
 * write of their key and purged by `putIfAbsent`/`increment`.
 */
export const SCHEDULES_DDL = `
CREATE TABLE IF NOT EXISTS schedules (
  tenant       TEXT NOT NULL,
  name         TEXT NOT NULL,
  version      INTEGER NOT NULL,
  timing_type  TEXT NOT NULL CHECK (timing_type IN ('cron', 'rate')),
  cron         TEXT,
  rate_every   INTEGER,
  rate_unit    TEXT,
  timezone     TEXT NOT NULL,
  prompt       TEXT NOT NULL,
  chat         INTEGER NOT NULL,
  thread       TEXT,
  model        TEXT,
  agent        TEXT,
  enabled      INTEGER NOT NULL,
  origin       TEXT NOT NULL,
  paused       INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  topic        INTEGER,
  last_due_at  INTEGER,
  PRIMARY KEY (tenant, name)
);

CREATE TABLE IF NOT EXISTS claims (
  tenant      TEXT NOT NULL,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL,
  count       INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  PRIMARY KEY (tenant, key)
);
CREATE INDEX IF NOT EXISTS claims_by_expiry ON claims (expires_at);
`;

export interface ScheduleRow {
  tenant: string;
  name: string;
  version: number;
  timing_type: string;
  cron: string | null;
  rate_every: number | null;
  rate_unit: string | null;
  timezone: string;
  prompt: string;
  chat: number;
  thread: string | null;
  model: string | null;
  agent: string | null;
  enabled: number;
  origin: string;
  paused: number;
  created_by: string;
  created_at: number;
  updated_at: number;
  topic: number | null;
  last_due_at: number | null;
}

export const SOURCE = 'schedules:sqlite';

function corrupt(row: Pick<ScheduleRow, 'tenant' | 'name'>, what: string): never {
  throw new StorageError(`[${SOURCE}] schedule ${row.tenant}/${row.name} has ${what}`, {
    code: 'storage_corrupt',
  });
}

/** The row's columns as named parameters (`topic`/`last_due_at` given by the caller). */
export function toParams(r: ScheduleRecord, version: number): Omit<ScheduleRow, 'topic' | 'last_due_at'> {
  const thread = r.target.thread;
  return {
    tenant: r.tenant,
    name: r.name,
    version,
    timing_type: r.timing.type,
    cron: r.timing.type === 'cron' ? r.timing.expression : null,
    rate_every: r.timing.type === 'rate' ? r.timing.every : null,
    rate_unit: r.timing.type === 'rate' ? r.timing.unit : null,
    timezone: r.timezone,
    prompt: r.prompt,
    chat: r.target.chat,
    thread: thread === undefined ? null : String(thread),
    model: r.model ?? null,
    agent: r.agent ?? null,
    enabled: r.enabled ? 1 : 0,
    origin: r.origin,
    paused: r.paused ? 1 : 0,
    created_by: r.createdBy,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

function timingOf(row: ScheduleRow): ScheduleRecord['timing'] {
  if (row.timing_type === 'cron' && row.cron !== null) return { type: 'cron', expression: row.cron };
  if (row.timing_type === 'rate' && row.rate_every !== null && RATE_UNITS.includes(row.rate_unit as RateUnit))
    return { type: 'rate', every: row.rate_every, unit: row.rate_unit as RateUnit };
  return corrupt(row, 'an unreadable timing');
}

function threadOf(row: ScheduleRow): ScheduleRecord['target']['thread'] {
  if (row.thread === null) return undefined;
  if (row.thread === 'new') return 'new';
  if (/^[1-9][0-9]{0,15}$/.test(row.thread)) return Number(row.thread);
  return corrupt(row, `an unreadable thread ${JSON.stringify(row.thread)}`);
}

/** A row read back into the record (optional fields absent, never `undefined`). */
export function toRecord(row: ScheduleRow): ScheduleRecord {
  if (row.origin !== 'config' && row.origin !== 'runtime') corrupt(row, 'an unknown origin');
  const thread = threadOf(row);
  const record: ScheduleRecord = {
    tenant: row.tenant as ScheduleRecord['tenant'],
    name: row.name as ScheduleRecord['name'],
    timing: timingOf(row),
    timezone: row.timezone,
    prompt: row.prompt,
    target: thread === undefined ? { chat: row.chat } : { chat: row.chat, thread },
    enabled: row.enabled === 1,
    origin: row.origin,
    paused: row.paused === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
  if (row.model !== null) record.model = row.model;
  if (row.agent !== null) record.agent = row.agent;
  if (row.topic !== null) record.topic = row.topic;
  if (row.last_due_at !== null) record.lastDueAt = row.last_due_at;
  return record;
}

/** Runs one statement; driver errors become `StorageError` naming the operation. */
export function guarded<T>(operation: string, fn: () => T, source = SOURCE): T {
  return guardedSqlite(operation, fn, source);
}
