import type { ConversationKey } from '../core/keys.js';
import type { UsageTurn } from '../usage/index.js';
import type { TurnResult } from './types.js';

/**
 * Map a finished turn of the runner to the record `UsageStore.record` takes. It lives on the agent
 * side so usage/ stays a leaf that knows nothing of the runner's result shape.
 */
export function usageTurnFromResult(
  key: ConversationKey,
  result: Pick<TurnResult, 'session_id' | 'model' | 'usage' | 'cost_usd' | 'duration_ms'>,
  options: { userId?: string | number; at: number },
): UsageTurn {
  return {
    tenant: key.tenant,
    chat: key.chat,
    thread: key.thread,
    ...(options.userId === undefined ? {} : { userId: options.userId }),
    sessionId: result.session_id,
    model: result.model,
    tokens: {
      input: result.usage.input_tokens,
      output: result.usage.output_tokens,
      cacheCreation: result.usage.cache_creation_input_tokens,
      cacheRead: result.usage.cache_read_input_tokens,
    },
    costUsd: result.cost_usd,
    durationMs: result.duration_ms,
    at: options.at,
  };
}
