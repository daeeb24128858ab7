import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { createSqliteStorage } from '../../../sessions/adapters/sqlite/index.js';
import { runApprovalConformance, type RawApprovalBackend } from '../conformance.js';
import { TENANT_A, chatKey, pendingRecord } from '../conformance/fixtures.js';

/** Reads the approval tables with its own read-only connection and its own SQL. */
function sqliteRaw(file: string): RawApprovalBackend & { close(): void } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  return {
    async readApproval(tenant, id) {
      const row = db.prepare('SELECT * FROM approvals WHERE tenant = ? AND id = ?').get(tenant, id) as
        Record<string, string | number | null> | undefined;
      if (!row) return null;
      const opt = <T>(name: string, value: T | null) => (value === null ? {} : { [name]: value });
      return {
        conversation: `${row.tenant}:${row.chat}:${row.thread}`,
        status: String(row.status),
        input: String(row.input),
        summary: String(row.summary),
        createdAt: Number(row.created_at),
        expiresAt: Number(row.expires_at),
        keepUntil: Number(row.keep_until),
        ...opt('resolvedAt', row.resolved_at),
        ...opt('resolvedBy', row.resolved_by),
        ...opt('resolvedByRequest', row.resolved_by_request),
        ...(row.notice_chat !== null
          ? { notice: { chatId: Number(row.notice_chat), messageId: Number(row.notice_message) } }
          : {}),
      };
    },
    async readGrants(conversation, sessionId) {
      const [tenant, chat, thread] = conversation.split(':');
      const rows = db
        .prepare(
          'SELECT rule, expires_at FROM approval_grants WHERE tenant = ? AND chat = ? AND thread = ? AND session_id = ? ORDER BY seq',
        )
        .all(tenant, chat, thread, sessionId) as Array<{ rule: string; expires_at: number }>;
      if (rows.length === 0) return null;
      return { rules: rows.map((r) => r.rule), expiresAt: Math.min(...rows.map((r) => r.expires_at)) };
    },
    async listKeys() {
      return db
        .prepare(
          `SELECT tenant || '#' || id FROM approvals
           UNION ALL SELECT tenant || ':' || chat || ':' || thread || '#' || session_id || '#' || seq FROM approval_grants`,
        )
        .pluck()
        .all() as string[];
    },
    close: () => db.close(),
  };
}

runApprovalConformance({
  name: 'sqlite (the sessions’ database file)',
  async create({ clock, retentionDays }) {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-approvals-'));
    const storage = createSqliteStorage({ dataDir: dir, clock, approvalRetentionDays: retentionDays });
    const raw = sqliteRaw(storage.file);
    return {
      store: storage.approvals,
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

describe('sqlite approvals', () => {
  it('adds pending_approval to a conversations table made before it existed, and keeps the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-approvals-'));
    try {
      const file = join(dir, 'old.sqlite');
      const old = new Database(file);
      old.exec(`CREATE TABLE conversations (tenant TEXT NOT NULL, chat TEXT NOT NULL, thread TEXT NOT NULL,
        session_id TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL, turns INTEGER NOT NULL, PRIMARY KEY (tenant, chat, thread))`);
      old
        .prepare('INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run('acme', 'c1', 'main', '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab', 1, 1, 8.64e15, 3);
      old.pragma('user_version = 1');
      old.close();
      const clock = new ManualClock();
      const storage = createSqliteStorage({ file, clock });
      const key = chatKey(TENANT_A, 'c1');
      expect((await storage.conversations.get(key))?.turns).toBe(3);
      const record = pendingRecord(key, clock.now());
      await storage.approvals.create(record);
      const touched = await storage.conversations.touch(key, record.sessionId, {
        pendingApproval: record.id,
      });
      expect(touched.pendingApproval).toBe(record.id);
      await storage.close();
      const again = createSqliteStorage({ file, clock });
      expect((await again.conversations.get(key))?.pendingApproval).toBe(record.id);
      expect(await again.approvals.get(TENANT_A, record.id)).toEqual(record);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
