import type { TurnResult } from '../../src/agent/types.js';

/** A successful turn in the original's contract (plus usage), for fake runners; override any field. */
export function fakeTurnResult(overrides: Partial<TurnResult> = {}): TurnResult {
  return {
    response: '',
    session_id: '00000000-0000-4000-8000-000000000000',
    cost_usd: 0.001,
    num_turns: 1,
    is_error: false,
    error_message: null,
    error_code: null,
    usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    model: 'fake',
    duration_ms: 1,
    ...overrides,
  };
}
