import { mkdtemp, rm } from 'node:fs/promises';
import { prepareWorkspace } from '../../src/agent/workspace.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentProfile, TenantAgent, TenantAgentResolver } from '../../src/agent/profile.js';
import { createAgentRunner, type AgentRunnerDeps } from '../../src/agent/runner.js';
import { offlineRunnerDeps } from './runner-deps.js';
import type { AgentRunner } from '../../src/agent/types.js';
import { startModelServer, type ModelServer } from '../../src/model/index.js';
import { createSqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import type { Storage } from '../../src/sessions/types.js';

/** A minimal profile: no subagents, MCP servers or skills; nothing but the default tools allowed. */
export const PLAIN_PROFILE: AgentProfile = {
  agents: {},
  mcpServers: {},
  systemPrompt: 'You are a test agent.',
  skills: [],
  tools: { allowedTools: [], disallowedTools: [], permissionMode: 'default' },
};

export interface AgentHarness {
  model: ModelServer;
  storage: Storage;
  runner: AgentRunner;
  dir: string;
  /** A runner over the same model and storage with different deps (e.g. a failing store). */
  runnerWith(overrides: Partial<AgentRunnerDeps>): AgentRunner;
  close(): Promise<void>;
}

/**
 * The real runner, the real SDK binary, the offline model server and SQLite storage in a temp dir.
 * Each tenant gets a fresh workspace and config dir, like a fresh container.
 */
export async function startAgentHarness(
  profile: AgentProfile = PLAIN_PROFILE,
  options: { tenants?: (dir: string) => Promise<TenantAgentResolver> } = {},
): Promise<AgentHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'omni-e2e-'));
  const model = await startModelServer();
  const storage = createSqliteStorage({ dataDir: join(dir, 'data') });
  const plainTenants = async (tenant: string): Promise<TenantAgent> => {
    return { profile, workspace: await prepareWorkspace(join(dir, 'tenants', tenant)) };
  };
  const tenants = options.tenants ? await options.tenants(dir) : plainTenants;
  const deps = offlineRunnerDeps(model.url, storage, tenants);
  return {
    model,
    storage,
    runner: createAgentRunner(deps),
    dir,
    runnerWith: (overrides) => createAgentRunner({ ...deps, ...overrides }),
    async close() {
      await model.close();
      await storage.close();
      // A `claude` child that is still exiting may write its MCP logs under the tenant's home
      // while the folder is removed (ENOTEMPTY): Node retries those errors.
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}
