import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTenantId } from '../../../core/ids.js';
import { createSqliteUsageStore } from './index.js';

const SCRIPT = fileURLToPath(new URL('./usage-writer.ts', import.meta.url));

function writer(args: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(args)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer exited ${code}: ${err}`)),
    );
  });
}

describe('sqlite usage: several processes on one database file', () => {
  it('keeps exact totals when three processes record at the same time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-usage-3proc-'));
    const file = join(dir, 'shared.sqlite');
    try {
      await createSqliteUsageStore({ file }).close(); // tables exist before the race
      await Promise.all([
        writer({ file, count: 60, costUsd: 0.001, userId: 1 }),
        writer({ file, count: 60, costUsd: 0.002, userId: 2 }),
        writer({ file, count: 60, costUsd: 0.004, userId: 3 }),
      ]);
      const store = createSqliteUsageStore({ file });
      const tenant = parseTenantId('acme');
      expect(await store.summary({ tenant }, 'all')).toMatchObject({ turns: 180, costUsd: 0.42 });
      expect((await store.summary({ tenant }, 'all')).tokens.input).toBe(1800);
      expect(await store.summary({ tenant, userId: 2 }, 'day')).toMatchObject({ turns: 60, costUsd: 0.12 });
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
