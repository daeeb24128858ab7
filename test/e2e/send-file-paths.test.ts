import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProfile, TenantAgent } from '../../src/agent/profile.js';
import { SEND_FILE_TOOL } from '../../src/agent/send-file.js';
import type { AgentRunner, TurnResult } from '../../src/agent/types.js';
import { createWarmPool, type WarmPool } from '../../src/agent/warm/pool.js';
import { prepareWorkspace } from '../../src/agent/workspace.js';
import { createTenantAgents } from '../../src/app/tenant-agents.js';
import type { ApprovalId } from '../../src/approvals/types.js';
import { createToolPolicy } from '../../src/approvals/policy.js';
import { describeCall } from '../../src/approvals/describe.js';
import { parseEnv } from '../../src/config/env.js';
import type { TenantAgentResolver } from '../../src/agent/profile.js';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { waitUntil } from '../support/child-processes.js';

/**
 * send_file on every way a turn reaches the agent and under every permission setup: the tenants'
 * real wiring (shipped config: approvals on), an operator's ask rule (a decision continues the
 * session in a new process), bypassPermissions, and a conversation's first turn in a spare.
 */
let h: AgentHarness;
let shipped: TenantAgentResolver;
const pools: WarmPool[] = [];

beforeAll(async () => {
  h = await startAgentHarness(PLAIN_PROFILE, {
    tenants: async (dir) => {
      const env = parseEnv({ OMNICLOUD_DATA_DIR: join(dir, 'data') });
      shipped = (await createTenantAgents(env, silentLogger, { rawEnv: {} })).resolve;
      return shipped;
    },
  });
});
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});
afterAll(async () => {
  await h?.close();
});

const key = (chat: string): ConversationKey => conversationKey({ tenant: 'default', chat });
const sendReport = `call tool ${SEND_FILE_TOOL} {"path":"report.txt"}`;

/** A conversation folder (of `runner`'s tenant workspace) holding `report.txt`. */
async function withReport(runner: AgentRunner, k: ConversationKey): Promise<void> {
  const dir = await runner.filesDir?.(k);
  if (dir === undefined) throw new Error('no filesDir');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'report.txt'), 'all green\n');
}

function expectSent(result: TurnResult): void {
  expect(result.is_error, result.error_message ?? '').toBe(false);
  expect(result.pending_approval).toBeUndefined();
  expect(result.response).toContain('Sent report.txt');
  expect(result.files?.map((f) => [f.name, f.direction])).toEqual([['report.txt', 'out']]);
}

/** A runner whose tenant agent has `profile`, in its own workspace under the harness dir. */
function runnerWith(
  profile: AgentProfile,
  name: string,
  extra: Parameters<AgentHarness['runnerWith']>[0] = {},
) {
  return h.runnerWith({
    tenants: async (tenant): Promise<TenantAgent> => ({
      profile,
      workspace: await prepareWorkspace(join(h.dir, name, tenant)),
    }),
    ...extra,
  });
}

describe('send_file under the tool policy (real binary, offline model)', () => {
  it('is never asked about under the shipped configuration, whose policy asks for unknown tools', async () => {
    const profile = (await shipped(key('x').tenant)).profile;
    expect(profile.approvals?.policy.evaluate({ tool: SEND_FILE_TOOL, input: { path: 'x' } }).verdict).toBe(
      'allow',
    );
    expect(profile.approvals?.policy.evaluate({ tool: 'mcp__other__tool', input: {} }).verdict).not.toBe(
      'allow',
    );
    const k = key('shipped');
    await withReport(h.runner, k);
    expectSent(await h.runner.runTurn({ key: k, text: sendReport }));
  });

  it("an operator's ask rule wins: the decision continues the session and the file is sent then", async () => {
    const policy = createToolPolicy(
      // A strict operator: everything asks, except finding tools (send_file is a deferred tool,
      // loaded through ToolSearch; the shipped default allows ToolSearch too).
      { allow: ['ToolSearch'], ask: [SEND_FILE_TOOL], deny: [], default: 'ask', timeoutMinutes: 30 },
      { allow: [SEND_FILE_TOOL] },
      { cwd: '/nonexistent' },
    );
    const runner = runnerWith(
      {
        ...PLAIN_PROFILE,
        approvals: {
          policy,
          describe: (call) => describeCall(call, { cwd: '/nonexistent', home: '/nonexistent' }),
          timeoutMs: 60_000,
        },
      },
      'ask-rule',
    );
    const k = key('ask-rule');
    await withReport(runner, k);
    const asked = await runner.runTurn({ key: k, text: sendReport });
    expect(asked.pending_approval).toMatchObject({ tool: SEND_FILE_TOOL });
    expect(asked.files).toBeUndefined();
    const id = asked.pending_approval?.id as ApprovalId;
    const done = await runner.runTurn({
      key: k,
      text: '',
      approval: { id, decision: 'allow_once', by: '8' },
    });
    expectSent(done);
    expect(done.session_id).toBe(asked.session_id);
  });

  it('works with permissions bypassed', async () => {
    const runner = runnerWith(
      { ...PLAIN_PROFILE, tools: { ...PLAIN_PROFILE.tools, permissionMode: 'bypassPermissions' } },
      'bypass',
    );
    const k = key('bypass');
    await withReport(runner, k);
    expectSent(await runner.runTurn({ key: k, text: sendReport }));
  });

  it("works in a new conversation's first turn run by a spare process started ahead", async () => {
    const pool = createWarmPool({ max: 2, idleMs: 60_000, logger: silentLogger });
    pools.push(pool);
    const runner = runnerWith(PLAIN_PROFILE, 'spare', { warm: pool, spares: true });
    await runner.prewarm?.('default');
    await waitUntil(() => pool.stats().spares === 1, 30_000, 'a ready spare');
    const k = key('spare');
    await withReport(runner, k);
    expectSent(await runner.runTurn({ key: k, text: sendReport }));
    expect(pool.stats().spareHits).toBe(1);
  });
});
