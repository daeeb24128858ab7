import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProfile } from '../../src/agent/profile.js';
import type { TurnResult } from '../../src/agent/types.js';
import type { PendingApproval } from '../../src/approvals/types.js';
import { runChat } from '../../src/cli/chat.js';
import type { TenantId } from '../../src/core/ids.js';
import { silentLogger } from '../../src/core/logger.js';
import { createApiApp, createTokenAuth } from '../../src/server/index.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { recordingTerminal } from '../support/terminal.js';

/**
 * Approvals through the API and the terminal chat end to end: the real runner, SDK binary and
 * offline demo model (`call tool Bash {…}` makes the binary call Bash), SQLite storage. The policy
 * here asks about every Bash call (the shipped policy is tested with the config).
 */
const TOKEN = 'e2e-approvals-token-5b7d9f1a3c5e7a9b1d3f5a7c';

const ASK_BASH: AgentProfile = {
  ...PLAIN_PROFILE,
  approvals: {
    policy: {
      evaluate: (call) =>
        call.tool === 'Bash' ? { verdict: 'ask', rule: 'Bash' } : { verdict: 'allow', rule: 'default' },
      granted: (call, rules) => call.tool === 'Bash' && rules.includes('Bash(echo *)'),
    },
    describe: (call) => ({ summary: String(call.input['command']), grantRule: 'Bash(echo *)' }),
    timeoutMs: 30 * 60_000,
  },
};

let h: AgentHarness;
let api: ReturnType<typeof createApiApp>;

beforeAll(async () => {
  h = await startAgentHarness(ASK_BASH);
  api = createApiApp({
    runner: h.runner,
    storage: h.storage,
    logger: silentLogger,
    auth: createTokenAuth([{ token: TOKEN, tenants: ['default' as TenantId], label: 'e2e' }]),
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const post = (path: string, body: unknown) =>
  api.request(path, { method: 'POST', headers, body: JSON.stringify(body) });
const writeFile = (name: string) => {
  const file = join(h.dir, name);
  return { file, prompt: `call tool Bash ${JSON.stringify({ command: `echo written | tee ${file}` })}` };
};

async function askingTurn(prompt: string): Promise<PendingApproval> {
  const res = await post('/v1/chat', { user_message: prompt, chat_id: 'ops' });
  expect(res.status).toBe(200);
  const result = (await res.json()) as TurnResult;
  expect(result.is_error).toBe(false);
  expect(result.pending_approval).toBeDefined();
  return result.pending_approval as PendingApproval;
}

describe('approvals through the API (real binary, offline model)', () => {
  it('chat → pending_approval; allow_once runs it once; another decision is 409; deny does not run; the trail lists both', async () => {
    const allowed = writeFile('allowed.txt');
    const first = await askingTurn(allowed.prompt);
    expect(first).toMatchObject({
      tool: 'Bash',
      input: { command: `echo written | tee ${allowed.file}` },
      summary: `echo written | tee ${allowed.file}`,
      grant_rule: 'Bash(echo *)',
    });
    expect(existsSync(allowed.file)).toBe(false);

    const decided = await post(`/v1/approvals/${first.id}`, { decision: 'allow_once' });
    expect(decided.status).toBe(200);
    const result = (await decided.json()) as TurnResult;
    expect(result.is_error).toBe(false);
    expect(result.resolved_approval).toEqual({ id: first.id, status: 'allow_once', by: 'token:e2e' });
    expect(result.response).toContain('Output:\nwritten');
    expect(readFileSync(allowed.file, 'utf8')).toBe('written\n');

    const other = await post(`/v1/approvals/${first.id}`, { decision: 'deny' });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('approval_unavailable');
    const retry = await post(`/v1/approvals/${first.id}`, { decision: 'allow_once' });
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as TurnResult).replayed).toBe('done');

    const denied = writeFile('denied.txt');
    const second = await askingTurn(denied.prompt);
    // Streamed this time: the continuation's live events, then the result.
    const refused = await post(`/v1/approvals/${second.id}`, { decision: 'deny', stream: true });
    expect(refused.status).toBe(200);
    const events = await refused.text();
    expect(events).toContain('event: turn_started');
    const deniedResult = JSON.parse(/event: result\ndata: (.*)\n/.exec(events)?.[1] ?? '{}') as TurnResult;
    expect(deniedResult.resolved_approval?.status).toBe('deny');
    expect(deniedResult.response).toContain('The Bash tool failed');
    expect(existsSync(denied.file)).toBe(false);

    const listed = await api.request('/v1/conversations/default/ops/main/approvals', { headers });
    expect(listed.status).toBe(200);
    const { approvals } = (await listed.json()) as { approvals: Array<Record<string, unknown>> };
    // Who asked (the API caller of /v1/chat) and who decided, per request.
    expect(approvals.map((a) => [a['id'], a['status'], a['requested_by'], a['resolved_by']])).toEqual([
      [second.id, 'deny', 'token:e2e', 'token:e2e'],
      [first.id, 'allow_once', 'token:e2e', 'token:e2e'],
    ]);
  }, 120_000);
});

describe('approvals in the terminal chat (real binary, offline model)', () => {
  it('answering y runs the call and prints its output', async () => {
    const { file, prompt } = writeFile('cli.txt');
    const { io, input, stdout, stderr } = recordingTerminal();
    const exit = runChat(['--chat', 'cli'], io, async () => ({
      runner: h.runner,
      storage: h.storage,
      provider: { kind: 'offline', baseUrl: h.model.url },
      warm: { describe: () => null },
      close: async () => {},
    }));
    input.end(`${prompt}\ny\n`);
    expect(await exit).toBe(0);
    expect(stderr()).toContain(`The agent wants to run Bash:\n     echo written | tee ${file}`);
    expect(readFileSync(file, 'utf8')).toBe('written\n');
    expect(stdout()).toContain('Output:\nwritten');
  }, 120_000);
});
