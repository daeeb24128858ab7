import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { runStorageConformance } from '../../conformance.js';
import { createSqliteStorage, SQLITE_FILE_NAME } from './index.js';
import { openSqliteRaw } from './raw.js';

runStorageConformance({
  name: 'sqlite',
  mtimeFromClock: true,
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-sqlite-'));
    const clock = new ManualClock();
    const storage = createSqliteStorage({ dataDir: dir, clock });
    const raw = openSqliteRaw(storage.file);
    return {
      storage,
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

describe('sqlite storage', () => {
  it('puts the file in dataDir, reopens it with the data intact and reports it in stat', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-sqlite-'));
    try {
      const key = { projectKey: 'acme', sessionId: '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab' };
      const first = createSqliteStorage({ dataDir: join(dir, 'nested') });
      expect(first.file).toBe(join(dir, 'nested', SQLITE_FILE_NAME));
      await first.transcripts.append(key, [{ type: 'user', uuid: 'u1', text: 'persisted' }]);
      await first.close();
      const second = createSqliteStorage({ file: first.file });
      expect(await second.transcripts.load(key)).toEqual([{ type: 'user', uuid: 'u1', text: 'persisted' }]);
      const stat = await second.transcripts.stat(key);
      expect(stat?.location).toContain(first.file);
      expect(stat?.location).toContain('acme#6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab#');
      expect(stat?.bytes).toBe(
        Buffer.byteLength(JSON.stringify({ type: 'user', uuid: 'u1', text: 'persisted' })),
      );
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('requires a file or a data dir', () => {
    expect(() => createSqliteStorage({})).toThrow(/file|dataDir/);
  });
});
