import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createFakeRunner } from '../../test/deploy/fake-runner.js';
import { newApprovalId } from '../approvals/ids.js';
import type { ApprovalRecord } from '../approvals/types.js';
import { parseSessionId } from '../core/ids.js';
import { conversationKey } from '../core/keys.js';
import { createMemoryStorage } from '../sessions/adapters/memory/index.js';
import { UsageError } from './args.js';
import { runApprove } from './approve.js';
import type { ChatIO } from './chat.js';

function terminal() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: ChatIO = {
    input: new PassThrough(),
    out: (s) => stdout.push(`${s}\n`),
    err: (s) => stderr.push(`${s}\n`),
    write: (s) => stdout.push(s),
    writeErr: (s) => stderr.push(s),
    interactive: false,
  };
  return { io, stdout: () => stdout.join(''), stderr: () => stderr.join('') };
}

async function world(
  answer: Parameters<typeof createFakeRunner>[0] = (req) => ({ response: `ran: ${req.approval?.decision}` }),
) {
  const storage = createMemoryStorage();
  const runner = createFakeRunner(answer);
  const key = conversationKey({ tenant: 'acme', chat: 'ops' });
  const record: ApprovalRecord = {
    id: newApprovalId(),
    key,
    sessionId: parseSessionId('6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab'),
    toolUseId: 'toolu_1',
    tool: 'Bash',
    input: '{"command":"echo hi"}',
    summary: 'echo hi',
    grantRule: 'Bash(echo *)',
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    status: 'pending',
  };
  await storage.approvals.create(record);
  let closed = 0;
  const deps = async () => ({ runner, storage, close: async () => void closed++ });
  return { storage, runner, record, deps, closed: () => closed };
}

describe('omnicloud approve ID DECISION', () => {
  it("continues the request's conversation with the decision, as cli:<user>, and prints the reply", async () => {
    const w = await world();
    const t = terminal();
    expect(await runApprove([w.record.id, 'allow_conversation', '--tenant', 'acme'], t.io, w.deps)).toBe(0);
    expect(w.runner.calls).toHaveLength(1);
    expect(w.runner.calls[0]).toMatchObject({
      key: w.record.key,
      text: '',
      approval: { id: w.record.id, decision: 'allow_conversation', by: expect.stringMatching(/^cli:./) },
      requestId: `cli:approval:${w.record.id}:allow_conversation`,
    });
    expect(t.stdout()).toBe('ran: allow_conversation\n');
    expect(w.closed()).toBe(1);
  });

  it('unknown id (or another tenant’s) → exit 1 without running; refused decision → exit 1 with the reason', async () => {
    const w = await world(() => ({
      is_error: true,
      error_code: 'approval_unavailable',
      error_message: '[approvals] this request was already denied by 7',
    }));
    const t = terminal();
    expect(await runApprove([w.record.id, 'deny'], t.io, w.deps)).toBe(1); // tenant default
    expect(t.stderr()).toContain(`no approval request ${w.record.id} in tenant default`);
    expect(w.runner.calls).toHaveLength(0);
    const again = terminal();
    expect(await runApprove([w.record.id, 'deny', '--tenant', 'acme', '--json'], again.io, w.deps)).toBe(1);
    expect(JSON.parse(again.stdout())).toMatchObject({ error_code: 'approval_unavailable' });
  });

  it('bad usage is a UsageError (exit 2 with help), before anything is built', async () => {
    const w = await world();
    await expect(runApprove(['short', 'deny'], terminal().io, w.deps)).rejects.toThrow(UsageError);
    await expect(runApprove([w.record.id, 'yes'], terminal().io, w.deps)).rejects.toThrow(
      /allow_once, allow_conversation, deny/,
    );
    await expect(runApprove([w.record.id, 'deny', 'extra'], terminal().io, w.deps)).rejects.toThrow(
      UsageError,
    );
    expect(w.closed()).toBe(0);
  });
});
