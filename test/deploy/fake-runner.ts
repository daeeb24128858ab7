import type { AgentRunner, TurnRequest, TurnResult } from '../../src/agent/types.js';
import type { ConversationKey } from '../../src/core/keys.js';
import { fakeTurnResult } from '../support/turn-result.js';

/** A scripted `AgentRunner`: records requests and answers with the original's response shape. */
export interface FakeRunner extends AgentRunner {
  readonly calls: TurnRequest[];
  readonly resets: ConversationKey[];
}

export function createFakeRunner(answer?: (req: TurnRequest) => Partial<TurnResult>): FakeRunner {
  const calls: TurnRequest[] = [];
  const resets: ConversationKey[] = [];
  return {
    calls,
    resets,
    async runTurn(req) {
      calls.push(req);
      return fakeTurnResult({
        response: `echo: ${req.text}`,
        session_id: '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab',
        cost_usd: 0.0012,
        model: 'claude-test',
        duration_ms: 3,
        ...answer?.(req),
      });
    },
    async resetConversation(key) {
      resets.push(key);
    },
  };
}
