import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProfile } from '../../src/agent/profile.js';
import type { TurnResult } from '../../src/agent/types.js';
import { createToolPolicy } from '../../src/approvals/policy.js';
import { describeCall } from '../../src/approvals/describe.js';
import type { ApprovalId } from '../../src/approvals/types.js';
import { createWarmPool } from '../../src/agent/warm/pool.js';
import { silentLogger } from '../../src/core/logger.js';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';

/**
 * Approvals end to end: the real SDK and binary, the offline model, SQLite storage. The policy
 * asks for every Bash call outside `echo *`; the model is told `call tool Bash {...}`.
 */
const policy = createToolPolicy(
  { allow: ['Bash(echo *)'], ask: [], deny: ['Bash(rm *)'], default: 'ask', timeoutMinutes: 30 },
  { allow: [] },
  { cwd: '/nonexistent' },
);
const PROFILE: AgentProfile = {
  ...PLAIN_PROFILE,
  approvals: {
    policy,
    describe: (call) => describeCall(call, { cwd: '/nonexistent', home: '/nonexistent' }),
    timeoutMs: 30 * 60_000,
  },
};

let h: AgentHarness;
beforeAll(async () => {
  h = await startAgentHarness(PROFILE);
});
afterAll(async () => {
  await h?.close();
});

const key = (chat: string): ConversationKey => conversationKey({ tenant: 'default', chat });
const bash = (command: string): string => `call tool Bash ${JSON.stringify({ command })}`;
const file = (name: string): string => join(h.dir, name);

function pendingId(result: TurnResult): ApprovalId {
  expect(result.is_error).toBe(false);
  expect(result.pending_approval).toBeDefined();
  return result.pending_approval?.id as ApprovalId;
}

describe('approvals (real binary, offline model)', () => {
  it('asks, then "allow once" runs the command on a fresh runner and the reply has its output', async () => {
    const k = key('allow-once');
    const marker = file('allow-once.txt');
    const asked = await h.runner.runTurn({
      key: k,
      text: bash(`touch ${marker} && printf ran-it`),
      userId: '7',
    });
    const id = pendingId(asked);
    expect(asked.pending_approval).toMatchObject({ tool: 'Bash' });
    expect(asked.pending_approval?.summary).toContain(`touch ${marker}`);
    expect(existsSync(marker)).toBe(false);
    expect((await h.storage.conversations.get(k))?.pendingApproval).toBe(id);
    const stored = await h.storage.approvals.get(k.tenant, id);
    expect(stored).toMatchObject({ status: 'pending', requestedBy: '7', tool: 'Bash' });

    // Another container: a new runner over the same storage takes the decision.
    const other = h.runnerWith({});
    const done = await other.runTurn({
      key: k,
      text: '',
      approval: { id, decision: 'allow_once', by: '8' },
      requestId: 'tg:1001',
    });
    expect(done.is_error).toBe(false);
    expect(existsSync(marker)).toBe(true);
    expect(done.response).toContain('ran-it');
    expect(done.resolved_approval).toEqual({ id, status: 'allow_once', by: '8' });
    expect(done.pending_approval).toBeUndefined();
    expect(done.session_id).toBe(asked.session_id);
    expect((await h.storage.conversations.get(k))?.pendingApproval).toBeUndefined();

    // A repeat of the same work item gets the recorded result; a second decision is refused.
    const again = await other.runTurn({
      key: k,
      text: '',
      approval: { id, decision: 'allow_once', by: '8' },
      requestId: 'tg:1001',
    });
    expect(again.replayed).toBe('done');
    const second = await h.runner.runTurn({
      key: k,
      text: '',
      approval: { id, decision: 'deny', by: '9' },
      requestId: 'tg:1002',
    });
    expect(second).toMatchObject({ is_error: true, error_code: 'approval_unavailable' });
    expect(second.error_message).toContain('allowed once by 8');
  });

  it('deny: the command does not run and the agent is told', async () => {
    const k = key('deny');
    const marker = file('deny.txt');
    const id = pendingId(await h.runner.runTurn({ key: k, text: bash(`touch ${marker}`) }));
    const denied = await h.runner.runTurn({ key: k, text: '', approval: { id, decision: 'deny', by: '8' } });
    expect(denied.is_error).toBe(false);
    expect(existsSync(marker)).toBe(false);
    expect(denied.response).toContain('The user denied this tool call');
    expect(denied.resolved_approval).toMatchObject({ id, status: 'deny' });
  });

  it('"allow in this conversation" lets the next matching call run without asking, until /new', async () => {
    const k = key('allow-conversation');
    const cwd = join(h.dir, 'tenants', 'default', 'work');
    const id = pendingId(await h.runner.runTurn({ key: k, text: bash('touch conv-a') }));
    const granted = await h.runner.runTurn({
      key: k,
      text: '',
      approval: { id, decision: 'allow_conversation', by: '8' },
    });
    expect(granted.is_error).toBe(false);
    expect(existsSync(join(cwd, 'conv-a'))).toBe(true);
    const record = await h.storage.conversations.get(k);
    expect(await h.storage.approvals.grants(k, record!.sessionId)).toEqual(['Bash(touch conv-a *)']);

    const next = await h.runner.runTurn({ key: k, text: bash('touch conv-a conv-b') });
    expect(next.pending_approval).toBeUndefined();
    expect(existsSync(join(cwd, 'conv-b'))).toBe(true);
    // Not covered by the grant: asks again.
    const other = await h.runner.runTurn({ key: k, text: bash('touch conv-c') });
    expect(other.pending_approval).toBeDefined();

    await h.runner.resetConversation(k);
    const fresh = await h.runner.runTurn({ key: k, text: bash('touch conv-a conv-d') });
    expect(fresh.pending_approval).toBeDefined();
    expect(existsSync(join(cwd, 'conv-d'))).toBe(false);
  });

  it('a new message while a request is pending refuses the call and answers the message', async () => {
    const k = key('superseded');
    const marker = file('superseded.txt');
    const id = pendingId(await h.runner.runTurn({ key: k, text: bash(`touch ${marker}`) }));
    h.model.requests.length = 0;
    const next = await h.runner.runTurn({ key: k, text: 'never mind, what is the time?' });
    expect(next.is_error).toBe(false);
    expect(existsSync(marker)).toBe(false);
    expect(next.resolved_approval).toMatchObject({ id, status: 'superseded' });
    expect(next.response).toContain('never mind, what is the time?');
    expect(h.model.requests).toHaveLength(1);
    expect((await h.storage.approvals.get(k.tenant, id))?.status).toBe('superseded');
    // The request can no longer be decided.
    const late = await h.runner.runTurn({
      key: k,
      text: '',
      approval: { id, decision: 'allow_once', by: '8' },
    });
    expect(late.error_code).toBe('approval_unavailable');
    expect(existsSync(marker)).toBe(false);
  });

  it('/new cancels a pending request; allowed and denied rules need no approval', async () => {
    const k = key('cancel');
    const id = pendingId(await h.runner.runTurn({ key: k, text: bash(`touch ${file('cancel.txt')}`) }));
    expect(await h.runner.resetConversation(k)).toEqual({ cancelledApproval: id });
    expect((await h.storage.approvals.get(k.tenant, id))?.status).toBe('cancelled');

    const allowed = await h.runner.runTurn({ key: k, text: bash('echo allowed-by-rule') });
    expect(allowed.pending_approval).toBeUndefined();
    expect(allowed.response).toContain('allowed-by-rule');
    const refused = await h.runner.runTurn({ key: k, text: bash(`rm ${file('nothing')}`) });
    expect(refused.pending_approval).toBeUndefined();
    expect(refused.response).toContain('Refused by the tool policy');
  });

  it('an expired request is refused and the agent learns it at the next message', async () => {
    const k = key('expired');
    const marker = file('expired.txt');
    const id = pendingId(await h.runner.runTurn({ key: k, text: bash(`touch ${marker}`) }));
    const later = h.runnerWith({ clock: { now: () => Date.now() + 31 * 60_000 } });
    const late = await later.runTurn({ key: k, text: '', approval: { id, decision: 'allow_once', by: '8' } });
    expect(late.error_code).toBe('approval_unavailable');
    expect(late.error_message).toContain('expired');
    const next = await later.runTurn({ key: k, text: 'hello again' });
    expect(next.resolved_approval).toMatchObject({ id, status: 'expired' });
    expect(next.response).toContain('expired');
    expect(existsSync(marker)).toBe(false);
  });

  it('live processes: the asking process is dropped, the decision resumes in a new one that stays warm', async () => {
    const pool = createWarmPool({ max: 4, idleMs: 60_000, logger: silentLogger });
    try {
      const warm = h.runnerWith({ warm: pool, spares: true });
      const k = key('warm');
      const marker = file('warm.txt');
      await warm.runTurn({ key: k, text: 'hello' });
      const id = pendingId(await warm.runTurn({ key: k, text: bash(`touch ${marker} && printf warm-ran`) }));
      expect(pool.stats().evictions.approval).toBe(1);
      const done = await warm.runTurn({
        key: k,
        text: '',
        approval: { id, decision: 'allow_once', by: '8' },
      });
      expect(done.response).toContain('warm-ran');
      expect(existsSync(marker)).toBe(true);
      const hits = pool.stats().hits;
      const next = await warm.runTurn({ key: k, text: 'and now?' });
      expect(next.is_error).toBe(false);
      expect(pool.stats().hits).toBe(hits + 1);
    } finally {
      pool.close();
    }
  });
});
