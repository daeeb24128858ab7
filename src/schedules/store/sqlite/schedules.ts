import type Database from 'better-sqlite3';
import { parseTenantId } from '../../../core/ids.js';
import { ScheduleConflictError, ScheduleLimitError } from '../../errors.js';
import { MAX_SCHEDULES_PER_TENANT, type ScheduleStore } from '../../types.js';
import {
  assertDueAt,
  assertExpectedVersion,
  assertScheduleAddress,
  assertScheduleRecord,
  assertTopic,
} from '../validate.js';
import { guarded, toParams, toRecord, type ScheduleRow } from './schema.js';

type Params = Record<string, string | number | null>;

/**
 * Schedules in the sessions' SQLite file (the `schedules` table of `SCHEDULES_DDL`, already
 * created). `put` is one IMMEDIATE transaction (read the version, count the tenant's schedules,
 * write), so its conditions hold across processes; `setTopic` and `markDue` are single conditional
 * `UPDATE`s.
 */
export function createSqliteScheduleStore(db: Database.Database): ScheduleStore {
  const key = 'tenant = @tenant AND name = @name';
  const q = {
    list: db.prepare<{ tenant: string }, ScheduleRow>(
      'SELECT * FROM schedules WHERE tenant = @tenant ORDER BY name',
    ),
    get: db.prepare<{ tenant: string; name: string }, ScheduleRow>(`SELECT * FROM schedules WHERE ${key}`),
    count: db.prepare<{ tenant: string }, number>('SELECT COUNT(*) FROM schedules WHERE tenant = @tenant'),
    upsert: db.prepare<Params>(
      `INSERT INTO schedules (tenant, name, version, timing_type, cron, rate_every, rate_unit, timezone, prompt,
         chat, thread, model, agent, enabled, origin, paused, created_by, created_at, updated_at, topic, last_due_at)
       VALUES (@tenant, @name, @version, @timing_type, @cron, @rate_every, @rate_unit, @timezone, @prompt,
         @chat, @thread, @model, @agent, @enabled, @origin, @paused, @created_by, @created_at, @updated_at,
         @topic, @last_due_at)
       ON CONFLICT (tenant, name) DO UPDATE SET version = excluded.version, timing_type = excluded.timing_type,
         cron = excluded.cron, rate_every = excluded.rate_every, rate_unit = excluded.rate_unit,
         timezone = excluded.timezone, prompt = excluded.prompt, chat = excluded.chat, thread = excluded.thread,
         model = excluded.model, agent = excluded.agent, enabled = excluded.enabled, origin = excluded.origin,
         paused = excluded.paused, created_by = excluded.created_by, created_at = excluded.created_at,
         updated_at = excluded.updated_at,
         topic = COALESCE(excluded.topic, schedules.topic),
         last_due_at = COALESCE(excluded.last_due_at, schedules.last_due_at)
       RETURNING *`,
    ),
    remove: db.prepare<{ tenant: string; name: string }>(`DELETE FROM schedules WHERE ${key}`),
    setTopic: db.prepare<Params, number | null>(
      `UPDATE schedules SET topic = COALESCE(topic, @topic) WHERE ${key} RETURNING topic`,
    ),
    markDue: db.prepare<Params>(
      `UPDATE schedules SET last_due_at = @dueAt WHERE ${key} AND (last_due_at IS NULL OR last_due_at < @dueAt)`,
    ),
  };

  return {
    async list(tenant) {
      const params = { tenant: parseTenantId(tenant) };
      return guarded('list', () => q.list.all(params)).map(toRecord);
    },

    async get(tenant, name) {
      assertScheduleAddress(tenant, name);
      const row = guarded('get', () => q.get.get({ tenant, name }));
      return row ? toRecord(row) : null;
    },

    async put(record, expectedVersion) {
      assertScheduleRecord(record);
      assertExpectedVersion(expectedVersion);
      const { tenant, name } = record;
      const row = guarded('put', () =>
        db
          .transaction(() => {
            const current = q.get.get({ tenant, name })?.version ?? 0;
            if (expectedVersion !== undefined && current !== expectedVersion) {
              throw new ScheduleConflictError(
                `[schedules:sqlite] ${name} is at version ${current}, not ${expectedVersion}`,
              );
            }
            if (current === 0 && (q.count.pluck().get({ tenant }) ?? 0) >= MAX_SCHEDULES_PER_TENANT) {
              throw new ScheduleLimitError(
                `[schedules:sqlite] a tenant has at most ${MAX_SCHEDULES_PER_TENANT} schedules`,
              );
            }
            return q.upsert.get({
              ...toParams(record, current + 1),
              topic: record.topic ?? null,
              last_due_at: record.lastDueAt ?? null,
            }) as ScheduleRow;
          })
          .immediate(),
      );
      return toRecord(row);
    },

    async remove(tenant, name) {
      assertScheduleAddress(tenant, name);
      return guarded('remove', () => q.remove.run({ tenant, name }).changes > 0);
    },

    async setTopic(tenant, name, topic) {
      assertScheduleAddress(tenant, name);
      assertTopic(topic);
      const stored = guarded('setTopic', () => q.setTopic.pluck().get({ tenant, name, topic }));
      return stored ?? null;
    },

    async markDue(tenant, name, dueAt) {
      assertScheduleAddress(tenant, name);
      assertDueAt(dueAt);
      guarded('markDue', () => q.markDue.run({ tenant, name, dueAt }));
    },
  };
}
