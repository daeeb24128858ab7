import { describe, expect, it } from 'vitest';
import { conversationKey } from '../core/keys.js';
import { usageTurnFromResult } from './usage-turn.js';

describe('usageTurnFromResult', () => {
  const key = conversationKey({ tenant: 'acme', chat: '42', thread: '7' });
  const result = {
    session_id: 'sess-1',
    model: 'claude-sonnet-4-5',
    usage: {
      input_tokens: 10,
      output_tokens: 20,
      cache_creation_input_tokens: 30,
      cache_read_input_tokens: 40,
    },
    cost_usd: 0.0123,
    duration_ms: 456,
  };

  it('maps the runner result to the usage record of its conversation and user', () => {
    expect(usageTurnFromResult(key, result, { userId: 111, at: 1_700_000_000_000 })).toEqual({
      tenant: 'acme',
      chat: '42',
      thread: '7',
      userId: 111,
      sessionId: 'sess-1',
      model: 'claude-sonnet-4-5',
      tokens: { input: 10, output: 20, cacheCreation: 30, cacheRead: 40 },
      costUsd: 0.0123,
      durationMs: 456,
      at: 1_700_000_000_000,
    });
  });

  it('leaves the user out for anonymous callers', () => {
    expect(usageTurnFromResult(key, result, { at: 1 })).not.toHaveProperty('userId');
  });
});
