import { describe, expect, it } from 'vitest';
import type { SessionStoreEntry } from '../sessions/types.js';
import { recoverReply } from './recover.js';

const user = (text: string): SessionStoreEntry => ({
  type: 'user',
  isSidechain: false,
  message: { role: 'user', content: [{ type: 'text', text }] },
});
const assistant = (
  content: unknown[],
  extra: { id?: string; stop_reason?: string | null; sidechain?: boolean } = {},
): SessionStoreEntry => ({
  type: 'assistant',
  isSidechain: extra.sidechain ?? false,
  message: {
    id: extra.id ?? 'msg_1',
    role: 'assistant',
    model: 'claude-test',
    content,
    stop_reason: extra.stop_reason ?? 'end_turn',
  },
});
const text = (t: string) => ({ type: 'text', text: t });

describe('recoverReply', () => {
  it('returns the text of the last main-chain assistant message and its model', () => {
    const entries = [
      { type: 'queue-operation' },
      user('hello'),
      { type: 'attachment', attachment: {} },
      assistant([text('hi '), text('there')]),
      { type: 'last-prompt' },
      { type: 'cost-state', totalCostUSD: 1 },
    ];
    expect(recoverReply(entries)).toEqual({ text: 'hi there', model: 'claude-test' });
  });

  it('joins the entries of one API message split over several entries', () => {
    const entries = [
      user('q'),
      assistant([text('part one. ')], { id: 'm', stop_reason: null }),
      assistant([text('part two.')], { id: 'm' }),
    ];
    expect(recoverReply(entries)?.text).toBe('part one. part two.');
  });

  it('uses the final answer after tool use, ignoring sidechain (subagent) entries', () => {
    const entries = [
      user('q'),
      assistant([text('let me look'), { type: 'tool_use', id: 't', name: 'Bash', input: {} }], {
        id: 'm1',
        stop_reason: 'tool_use',
      }),
      { type: 'user', isSidechain: false, message: { role: 'user', content: [{ type: 'tool_result' }] } },
      assistant([text('the answer')], { id: 'm2' }),
      assistant([text('subagent noise')], { id: 'm3', sidechain: true }),
    ];
    expect(recoverReply(entries)?.text).toBe('the answer');
  });

  it('is null when the turn did not finish in what was stored', () => {
    expect(recoverReply([])).toBeNull();
    expect(recoverReply([user('only the question')])).toBeNull();
    expect(
      recoverReply([
        user('q'),
        assistant([{ type: 'tool_use', id: 't', name: 'Bash', input: {} }], { stop_reason: 'tool_use' }),
      ]),
    ).toBeNull();
    expect(
      recoverReply([
        user('q'),
        assistant([text('checking'), { type: 'tool_use', id: 't', name: 'Bash', input: {} }]),
        { type: 'user', isSidechain: false, message: { role: 'user', content: [{ type: 'tool_result' }] } },
      ]),
    ).toBeNull();
    expect(recoverReply([user('q'), assistant([text('   ')])])).toBeNull();
  });
});
