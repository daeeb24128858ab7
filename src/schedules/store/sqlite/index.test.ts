import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { parseSessionId } from '../../../core/ids.js';
import { conversationKey } from '../../../core/keys.js';
import { createSqliteStorage } from '../../../sessions/adapters/sqlite/index.js';
import type { ScheduleRecord } from '../../types.js';
import { runScheduleConformance, type RawScheduleBackend } from '../conformance.js';
import { TENANT_A, scheduleName, scheduleRecord } from '../conformance/fixtures.js';

type Row = Record<string, string | number | null>;

/** Reads the schedule and claim tables with its own read-only connection and its own SQL. */
function sqliteRaw(file: string): RawScheduleBackend & { close(): void } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const opt = (name: string, value: unknown) => (value === null ? {} : { [name]: value });
  return {
    async readSchedule(tenant, name) {
      const row = db.prepare('SELECT * FROM schedules WHERE tenant = ? AND name = ?').get(tenant, name) as
        Row | undefined;
      if (!row) return null;
      const thread = row.thread === null ? {} : { thread: row.thread === 'new' ? 'new' : Number(row.thread) };
      return {
        tenant: row.tenant,
        name: row.name,
        timing:
          row.timing_type === 'cron'
            ? { type: 'cron', expression: row.cron }
            : { type: 'rate', every: row.rate_every, unit: row.rate_unit },
        timezone: row.timezone,
        prompt: row.prompt,
        target: { chat: row.chat, ...thread },
        ...opt('model', row.model),
        ...opt('agent', row.agent),
        enabled: row.enabled === 1,
        origin: row.origin,
        paused: row.paused === 1,
        createdBy: row.created_by,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        version: row.version,
        ...opt('topic', row.topic),
        ...opt('lastDueAt', row.last_due_at),
      } as unknown as ScheduleRecord;
    },
    async readClaim(tenant, key) {
      const row = db
        .prepare('SELECT value, count, expires_at FROM claims WHERE tenant = ? AND key = ?')
        .get(tenant, key) as Row | undefined;
      return row
        ? { value: String(row.value), count: Number(row.count), expiresAt: Number(row.expires_at) }
        : null;
    },
    async listKeys() {
      return db
        .prepare(
          `SELECT 'schedule ' || tenant || '/' || name FROM schedules UNION ALL SELECT 'claim ' || tenant || '/' || key FROM claims`,
        )
        .pluck()
        .all() as string[];
    },
    close: () => db.close(),
  };
}

runScheduleConformance({
  name: 'sqlite (the sessions’ database file)',
  async create({ clock }) {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-schedules-'));
    const storage = createSqliteStorage({ dataDir: dir, clock });
    const raw = sqliteRaw(storage.file);
    return {
      schedules: storage.schedules,
      claims: storage.claims,
      raw,
      clock,
      async cleanup() {
        raw.close();
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

describe('sqlite schedules and claims', () => {
  it('share the file across processes’ connections: a second storage on the same file sees and respects them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-schedules-'));
    try {
      const clock = new ManualClock();
      const one = createSqliteStorage({ dataDir: dir, clock });
      const two = createSqliteStorage({ dataDir: dir, clock });
      await one.schedules.put(scheduleRecord('shared'), 0);
      await expect(two.schedules.put(scheduleRecord('shared'), 0)).rejects.toThrow(/at version 1, not 0/);
      expect(await two.schedules.setTopic(TENANT_A, scheduleName('shared'), 5)).toBe(5);
      expect((await one.schedules.get(TENANT_A, scheduleName('shared')))?.topic).toBe(5);
      const counted = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).claims.increment(TENANT_A, 'c', 3, 60_000)),
      );
      expect(counted.filter(Boolean)).toHaveLength(3);
      await one.close();
      await two.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('adds its tables to a database file made before they existed, keeping the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-schedules-'));
    try {
      const file = join(dir, 'old.sqlite');
      const first = createSqliteStorage({ file });
      const key = conversationKey({ tenant: TENANT_A, chat: 'c1' });
      await first.conversations.touch(key, parseSessionId('6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab'));
      await first.close();
      const old = new Database(file);
      old.exec('DROP TABLE schedules; DROP TABLE claims;');
      old.close();
      const again = createSqliteStorage({ file });
      expect((await again.conversations.get(key))?.turns).toBe(1);
      await again.schedules.put(scheduleRecord('after-upgrade'));
      expect(await again.schedules.list(TENANT_A)).toHaveLength(1);
      expect(await again.claims.increment(TENANT_A, 'k', 1, 60_000)).toBe(true);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
