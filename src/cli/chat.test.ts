import { describe, expect, it } from 'vitest';
import { fakeTurnResult } from '../../test/support/turn-result.js';
import type { PendingApproval } from '../approvals/types.js';
import type { AgentRunner, TurnRequest, TurnResult } from '../agent/types.js';
import { conversationKey } from '../core/keys.js';
import { createMemoryStorage } from '../sessions/adapters/memory/index.js';
import type { Storage } from '../sessions/types.js';
import { APPROVAL_QUESTION, EXIT_PENDING_APPROVAL } from './approval-prompt.js';
import { runChat, type ChatDeps } from './chat.js';
import { recordingTerminal } from '../../test/support/terminal.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(done: () => boolean, ms = 3000): Promise<void> {
  for (const started = Date.now(); !done(); await sleep(5)) {
    if (Date.now() - started > ms) throw new Error(`condition not met within ${ms} ms`);
  }
}

/**
 * A runner test double that keeps the stop contract of the real one: holds the conversation's
 * lease on the real (memory) storage, emits `turn_started` with its token, streams a first delta,
 * then checks `stopRequested` until asked to stop (→ `turn_stopped` with the text so far) or aborted.
 */
function stoppableRunner(storage: Storage) {
  const calls: TurnRequest[] = [];
  const runner: AgentRunner = {
    async runTurn(request) {
      calls.push(request);
      const lease = await storage.leases.acquire(request.key);
      try {
        request.onEvent?.({ type: 'turn_started', turn: lease.token });
        request.onEvent?.({ type: 'text', delta: 'Looking at ' });
        request.onEvent?.({
          type: 'tool_start',
          id: 't',
          name: 'Bash',
          summary: 'sleep 600',
          parentId: null,
        });
        for (let i = 0; i < 400; i++) {
          if (request.signal?.aborted)
            return fakeTurnResult({ is_error: true, error_code: 'turn_aborted', error_message: 'aborted' });
          if (await storage.leases.stopRequested(lease))
            return fakeTurnResult({
              response: 'Looking at ',
              is_error: true,
              error_code: 'turn_stopped',
              error_message: 'stopped at your request',
            });
          await sleep(5);
        }
        throw new Error('the turn was never stopped');
      } finally {
        await storage.leases.release(lease);
      }
    },
    async resetConversation() {},
  };
  return { runner, calls };
}

const terminal = recordingTerminal;

const depsOf = (storage: Storage, runner: AgentRunner): (() => Promise<ChatDeps>) => {
  return async () => ({
    runner,
    storage,
    provider: { kind: 'offline', baseUrl: 'http://127.0.0.1:1' },
    warm: { describe: () => null },
    close: async () => {},
  });
};

describe('omnicloud chat: Ctrl-C while a turn runs', () => {
  it('the first asks the turn to stop through the lease; what was streamed stays; Ctrl-C when idle quits', async () => {
    const storage = createMemoryStorage();
    const { runner, calls } = stoppableRunner(storage);
    const t = terminal();
    const exit = runChat([], t.io, depsOf(storage, runner));
    t.input.write('list my instances\n');
    await until(() => t.stderr().includes('🔧 Bash sleep 600'));
    t.ctrlC();
    await until(() => t.stdout().includes('turn_stopped'));
    expect(t.stderr()).toContain('stopping the turn… (Ctrl-C again to quit)');
    expect(t.stdout()).toBe('Looking at \nerror (turn_stopped): stopped at your request\n');
    expect(calls[0]?.signal?.aborted).toBe(false);
    t.ctrlC(); // idle now
    expect(await exit).toBe(0);
  });

  it('the second aborts the turn and quits', async () => {
    const storage = createMemoryStorage();
    const { runner, calls } = stoppableRunner(storage);
    // A runner that does not honour stop requests: only the abort ends its turn.
    const deaf: AgentRunner = {
      ...runner,
      runTurn: (request) =>
        runner.runTurn({ ...request, key: conversationKey({ tenant: 'default', chat: 'elsewhere' }) }),
    };
    const t = terminal();
    const exit = runChat([], t.io, depsOf(storage, deaf));
    t.input.write('hello\n');
    await until(() => t.stderr().includes('🔧'));
    t.ctrlC();
    t.ctrlC();
    expect(await exit).toBe(0);
    expect(calls[0]?.signal?.aborted).toBe(true);
    expect(t.stderr()).toContain('quitting');
    expect(t.stdout()).toContain('turn_aborted');
  });
});

describe('omnicloud chat: live output', () => {
  const echo: AgentRunner = {
    async runTurn(request) {
      request.onEvent?.({ type: 'turn_started', turn: 1 });
      request.onEvent?.({ type: 'text', delta: 'Hel' });
      request.onEvent?.({ type: 'text', delta: 'lo' });
      return fakeTurnResult({ response: 'Hello' });
    },
    async resetConversation() {},
  };

  it('interactive: prints the deltas once, commands as before', async () => {
    const t = terminal();
    const exit = runChat([], t.io, depsOf(createMemoryStorage(), echo));
    t.input.end('hi\n/new\n');
    expect(await exit).toBe(0);
    expect(t.stdout()).toBe(
      'Hello\nStarted a fresh session for this conversation (the previous history stays in the store).\n',
    );
  });

  it('-m streams the answer; -m --json prints only the result object', async () => {
    const t = terminal();
    expect(await runChat(['-m', 'hi'], t.io, depsOf(createMemoryStorage(), echo))).toBe(0);
    expect(t.stdout()).toBe('Hello\n');
    const j = terminal();
    expect(await runChat(['-m', 'hi', '--json'], j.io, depsOf(createMemoryStorage(), echo))).toBe(0);
    expect(JSON.parse(j.stdout())).toEqual(fakeTurnResult({ response: 'Hello' }));
  });
});

describe('omnicloud chat: a turn that waits for an approval', () => {
  const pending = (id: string): PendingApproval => ({
    id: id as PendingApproval['id'],
    tool: 'Bash',
    input: { command: 'echo hi > FILE' },
    summary: 'echo hi > FILE',
    grant_rule: 'Bash(echo *)',
    expires_at: '2099-01-01T00:00:00.000Z',
  });
  /** Asks on the message, asks again after the first decision, answers after the second. */
  const asking = () => {
    const calls: TurnRequest[] = [];
    const runner: AgentRunner = {
      async runTurn(request) {
        calls.push(request);
        if (calls.length === 1) return fakeTurnResult({ pending_approval: pending('A'.repeat(22)) });
        if (calls.length === 2)
          return fakeTurnResult({ response: 'one more', pending_approval: pending('B'.repeat(22)) });
        return fakeTurnResult({ response: `done after ${request.approval?.decision}` });
      },
      async resetConversation() {},
    };
    return { runner, calls };
  };

  it('interactive: shows the call, asks until y/a/n, continues with the decision and asks again when the turn does', async () => {
    const { runner, calls } = asking();
    const t = terminal();
    const exit = runChat([], t.io, depsOf(createMemoryStorage(), runner));
    t.input.end('write it\nmaybe\nY\n n \n');
    expect(await exit).toBe(0);
    expect(calls.map((c) => [c.text, c.approval?.id, c.approval?.decision])).toEqual([
      ['write it', undefined, undefined],
      ['', 'A'.repeat(22), 'allow_once'],
      ['', 'B'.repeat(22), 'deny'],
    ]);
    expect(calls[1]?.approval?.by).toMatch(/^cli:./);
    expect(t.stderr()).toContain('The agent wants to run Bash:\n     echo hi > FILE\n');
    expect(t.stderr()).toContain('"always in this conversation" allows: Bash(echo *)');
    expect(t.stderr().split(APPROVAL_QUESTION)).toHaveLength(4); // asked twice for A (maybe, Y), once for B
    expect(t.stdout()).toBe('one more\ndone after deny\n');
  });

  it('interactive: "a" allows the rule for the conversation; EOF at the question leaves the request pending', async () => {
    const { runner, calls } = asking();
    const t = terminal();
    const exit = runChat([], t.io, depsOf(createMemoryStorage(), runner));
    t.input.end('write it\na\n');
    expect(await exit).toBe(0);
    expect(calls.map((c) => c.approval?.decision)).toEqual([undefined, 'allow_conversation']);
    expect(t.stderr()).toContain(
      `left pending: nothing ran. decide with: omnicloud approve ${'B'.repeat(22)}`,
    );
  });

  it('-m: prints the request and how to decide, exits 3; --json has it in the result', async () => {
    const t = terminal();
    expect(
      await runChat(
        ['-m', 'write it', '--tenant', 'acme'],
        t.io,
        depsOf(createMemoryStorage(), asking().runner),
      ),
    ).toBe(EXIT_PENDING_APPROVAL);
    expect(t.stderr()).toContain(`id ${'A'.repeat(22)}`);
    expect(t.stderr()).toContain(
      `decide with: omnicloud approve ${'A'.repeat(22)} allow_once|allow_conversation|deny --tenant acme`,
    );
    expect(t.stdout()).toBe('');
    const j = terminal();
    expect(
      await runChat(['-m', 'write it', '--json'], j.io, depsOf(createMemoryStorage(), asking().runner)),
    ).toBe(3);
    expect((JSON.parse(j.stdout()) as TurnResult).pending_approval).toEqual(pending('A'.repeat(22)));
  });
});
