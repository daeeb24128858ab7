import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newApprovalId } from '../approvals/ids.js';
import { DAY_MS } from '../core/clock.js';
import { parseSessionId, parseTenantId } from '../core/ids.js';
import { conversationKey } from '../core/keys.js';
import { parseEnv } from '../config/env.js';
import { silentLogger } from '../core/logger.js';
import { DEFAULT_APPROVAL_RETENTION_DAYS } from '../approvals/store/index.js';
import { USAGE_RETENTION_DAYS } from '../usage/index.js';
import { buildStores } from './storage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A request whose decision deadline passed `daysAgo` days ago. */
function oldRequest(daysAgo: number) {
  const expiresAt = Date.now() - daysAgo * DAY_MS;
  return {
    id: newApprovalId(),
    key: conversationKey({ tenant: 'acme', chat: 1 }),
    sessionId: parseSessionId('6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab'),
    toolUseId: 'toolu_1',
    tool: 'Bash',
    input: '{}',
    summary: 'ls',
    grantRule: 'Bash(ls)',
    createdAt: expiresAt - 60_000,
    expiresAt,
    status: 'pending' as const,
  };
}

describe('buildStores: approvals', () => {
  it('defaults the approval retention to the usage retention', () => {
    expect(DEFAULT_APPROVAL_RETENTION_DAYS).toBe(USAGE_RETENTION_DAYS);
  });

  it.each([
    [undefined, [true, true]],
    ['10', [true, false]],
  ])(
    'keeps approval records for OMNICLOUD_USAGE_RETENTION_DAYS=%s (default: usage’s 400)',
    async (days, want) => {
      const dir = mkdtempSync(join(tmpdir(), 'omni-stores-'));
      dirs.push(dir);
      const env = parseEnv({
        OMNICLOUD_STORAGE: 'sqlite',
        OMNICLOUD_DATA_DIR: dir,
        ...(days ? { OMNICLOUD_USAGE_RETENTION_DAYS: days } : {}),
      });
      const stores = await buildStores(env, silentLogger);
      try {
        const kept = [];
        for (const record of [oldRequest(5), oldRequest(15)]) {
          await stores.storage.approvals.create(record);
          kept.push((await stores.storage.approvals.get(parseTenantId('acme'), record.id)) !== null);
        }
        expect(kept).toEqual(want);
      } finally {
        await stores.close();
      }
    },
  );
});
