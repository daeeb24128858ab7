import type { TenantAgentResolver } from '../../src/agent/profile.js';
import type { AgentRunnerDeps } from '../../src/agent/runner.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Storage } from '../../src/sessions/types.js';

/** Runner deps of the tests: the offline model server at `modelUrl`, short limits, a quiet logger. */
export function offlineRunnerDeps(
  modelUrl: string,
  storage: Storage,
  tenants: TenantAgentResolver,
): AgentRunnerDeps {
  return {
    storage,
    tenants,
    provider: { kind: 'offline', baseUrl: modelUrl },
    models: {},
    limits: { maxRetries: 1, apiTimeoutMs: 20_000, turnTimeoutMs: 60_000, maxTurns: 10 },
    lease: { ttlMs: 30_000, waitMs: 5_000 },
    path: process.env['PATH'] ?? '/usr/bin:/bin',
    logger: silentLogger,
  };
}
