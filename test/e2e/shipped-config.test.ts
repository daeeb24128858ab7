import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantAgents } from '../../src/app/tenant-agents.js';
import { parseEnv } from '../../src/config/env.js';
import { conversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { isSubagentRequest, systemText, toolNames } from '../../src/model/index.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';

/** The shipped agent-config through the real wiring (createTenantAgents) and the real binary. */
let h: AgentHarness;

beforeAll(async () => {
  h = await startAgentHarness(PLAIN_PROFILE, {
    tenants: async (dir) => {
      const env = parseEnv({ OMNICLOUD_DATA_DIR: join(dir, 'data') });
      return (await createTenantAgents(env, silentLogger, { rawEnv: {} })).resolve;
    },
  });
});
afterAll(async () => {
  await h?.close();
});

describe('shipped agent-config', () => {
  it('runs the aws-support subagent with its own prompt, model alias and tools', async () => {
    const runner = h.runnerWith({ models: { sonnet: 'claude-sonnet-test-id' } });
    h.model.requests.length = 0;
    const result = await runner.runTurn({
      key: conversationKey({ tenant: 'default', chat: 'shipped-subagent' }),
      text: 'ask subagent aws-support: what is the S3 object size limit?',
    });
    expect(result.is_error).toBe(false);
    const sub = h.model.requests.find((r) => isSubagentRequest(r));
    expect(sub).toBeDefined();
    if (!sub) return;
    expect(systemText(sub)).toContain('You are an AWS support engineer');
    expect(sub.model).toBe('claude-sonnet-test-id');
    // Its tools are its own (the AWS MCP servers ship disabled, so only Read remains), not Bash or Agent.
    expect(toolNames(sub)).toContain('Read');
    expect(toolNames(sub)).not.toContain('Bash');
    const main = h.model.requests.find((r) => !isSubagentRequest(r));
    expect(main && systemText(main)).toContain('OmniCloud');
  });

  it('asks before a Bash command that can change state, and runs read-only lookups', async () => {
    const marker = join(h.dir, 'pwned');
    const key = conversationKey({ tenant: 'default', chat: 'shipped-ask' });
    const result = await h.runner.runTurn({ key, text: `call tool Bash {"command":"touch ${marker}"}` });
    expect(result.pending_approval).toMatchObject({ tool: 'Bash' });
    expect(result.pending_approval?.summary).toContain(`touch ${marker}`);
    expect(existsSync(marker)).toBe(false);
    const lookup = await h.runner.runTurn({
      key: conversationKey({ tenant: 'default', chat: 'shipped-lookup' }),
      text: 'call tool Bash {"command":"echo looked-up"}',
    });
    expect(lookup.pending_approval).toBeUndefined();
    expect(lookup.response).toContain('Output:\nlooked-up');
  });
});
