import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { parseChatId, parseTenantId, parseThreadId } from '../../../core/ids.js';
import { createSqliteStorage } from '../../../sessions/adapters/sqlite/index.js';
import { runUsageConformance } from '../../conformance.js';
import type { UsageStore } from '../../types.js';
import { createSqliteUsageStore } from './index.js';
import { openSqliteUsageRaw } from './raw.js';

runUsageConformance({
  name: 'sqlite',
  async create({ clock, retentionDays }) {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-usage-'));
    const file = join(dir, 'usage.sqlite');
    const stores: UsageStore[] = [];
    const open = () => {
      const store = createSqliteUsageStore({ file, clock, retentionDays });
      stores.push(store);
      return store;
    };
    const store = open();
    const raw = openSqliteUsageRaw(file);
    return {
      store,
      raw,
      clock,
      reopen: async () => open(),
      async cleanup() {
        raw.close();
        await Promise.all(stores.map((s) => s.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

describe('sqlite usage store', () => {
  const turn = {
    tenant: parseTenantId('acme'),
    chat: parseChatId(1),
    thread: parseThreadId(undefined),
    sessionId: 's',
    model: 'm',
    tokens: { input: 1, output: 1, cacheCreation: 0, cacheRead: 0 },
    costUsd: 0.5,
    durationMs: 10,
  };

  it("shares the sessions' database file without touching its tables or schema version", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-usage-'));
    try {
      const storage = createSqliteStorage({ dataDir: dir });
      const usage = createSqliteUsageStore({ file: storage.file });
      await usage.record({ ...turn, at: Date.now() });
      expect((await usage.summary({ tenant: turn.tenant }, 'all')).costUsd).toBe(0.5);
      await usage.close();
      await storage.close();

      const db = new Database(storage.file, { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['conversations', 'usage_counters', 'usage_turns']));
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works on a shared connection and leaves it open on close', async () => {
    const db = new Database(':memory:');
    const usage = createSqliteUsageStore({ db, clock: new ManualClock() });
    await usage.record({ ...turn, at: new ManualClock().now() });
    await usage.close();
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT count(*) FROM usage_turns').pluck().get()).toBe(1);
    db.close();
  });

  it('purges expired rows when writing', async () => {
    const clock = new ManualClock();
    const db = new Database(':memory:');
    const usage = createSqliteUsageStore({ db, clock, retentionDays: 1 });
    await usage.record({ ...turn, at: clock.now() });
    clock.advance(40 * 24 * 3600 * 1000);
    await usage.record({ ...turn, at: clock.now() });
    expect(db.prepare('SELECT count(*) FROM usage_turns').pluck().get()).toBe(1);
    // tenant and conversation × day, month, all, and the model's day counter.
    expect(db.prepare('SELECT count(*) FROM usage_counters').pluck().get()).toBe(7);
    db.close();
  });

  it('upgrades v1 usage tables (no model sets) in place: old days read with no model split', async () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE usage_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO usage_meta VALUES ('schema_version', '1');
      CREATE TABLE usage_counters (tenant TEXT NOT NULL, counter TEXT NOT NULL, turns INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_creation_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL, cost_micro_usd INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL, PRIMARY KEY (tenant, counter)) WITHOUT ROWID;`);
    const clock = new ManualClock(Date.UTC(2025, 0, 31, 12));
    db.prepare(
      `INSERT INTO usage_counters VALUES ('acme', 'tenant#day#2025-01-31', 2, 1, 1, 0, 0, 700000, 0, ?)`,
    ).run(Date.UTC(2026, 0, 1));
    const usage = createSqliteUsageStore({ db, clock });
    expect(await usage.daily(turn.tenant, 1)).toMatchObject([{ turns: 2, costUsd: 0.7, models: [] }]);
    await usage.record({ ...turn, at: clock.now() });
    expect(await usage.daily(turn.tenant, 1)).toMatchObject([
      { turns: 3, costUsd: 1.2, models: [{ model: 'm', turns: 1, costUsd: 0.5 }] },
    ]);
    expect(db.prepare("SELECT value FROM usage_meta WHERE key = 'schema_version'").pluck().get()).toBe('2');
    db.close();
  });

  it('requires a file or a connection', () => {
    expect(() => createSqliteUsageStore({})).toThrow(/file|db/);
  });
});
