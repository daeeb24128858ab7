import type { AgentRunner, TurnEvent, TurnRequest, TurnResult } from '../../src/agent/types.js';
import { conversationKeyString, type ConversationKey } from '../../src/core/keys.js';
import { fakeTurnResult } from '../support/turn-result.js';

/** One scripted live event, emitted `afterMs` after the previous one. */
export interface ScriptStep {
  afterMs?: number;
  event: TurnEvent;
}

export interface RecordedTurn {
  conversation: string;
  text: string;
  messageTime?: Date;
  userId?: string;
  requestId?: string;
  /** Texts of the earlier turns this turn "saw" (its conversation's history). */
  history: string[];
  startedAt: number;
  endedAt?: number;
  /** The scripted events this turn emitted, with when. */
  events: Array<{ at: number; event: TurnEvent }>;
}

/**
 * A fake `AgentRunner` (the real one is another module's; it can replace this one in the pipeline
 * helper). Keeps per-conversation history, records every call in order, and lets a test choose
 * the reply, fail a turn or hold a conversation until released.
 */
export interface FakeRunner extends AgentRunner {
  readonly turns: RecordedTurn[];
  readonly resets: string[];
  /** Reply for a turn; default `reply #<n> to: <text>`. */
  respond: (request: TurnRequest, history: string[]) => Partial<TurnResult> | Promise<Partial<TurnResult>>;
  /** Live events a turn emits through `onEvent` (with delays) before it returns its result. */
  script?: (request: TurnRequest) => ScriptStep[];
  /**
   * Hand the result to `request.deliver` like the real runner (under the lease), and report
   * `delivered`; default false (the worker then sends the result itself).
   */
  deliverUnderLease: boolean;
  /** Turns of this conversation wait until `release` is called. */
  hold(key: ConversationKey): void;
  release(key: ConversationKey): void;
}

export function createFakeRunner(): FakeRunner {
  const histories = new Map<string, string[]>();
  const holds = new Map<string, { promise: Promise<void>; release: () => void }>();
  const runner: FakeRunner = {
    turns: [],
    resets: [],
    deliverUnderLease: false,
    respond: (request, history) => ({ response: `reply #${history.length + 1} to: ${request.text}` }),
    hold(key) {
      let release!: () => void;
      const promise = new Promise<void>((resolve) => (release = resolve));
      holds.set(conversationKeyString(key), { promise, release });
    },
    release(key) {
      holds.get(conversationKeyString(key))?.release();
      holds.delete(conversationKeyString(key));
    },
    async runTurn(request) {
      const conversation = conversationKeyString(request.key);
      const history = histories.get(conversation) ?? [];
      const turn: RecordedTurn = {
        conversation,
        text: request.text,
        ...(request.messageTime ? { messageTime: request.messageTime } : {}),
        ...(request.userId ? { userId: request.userId } : {}),
        ...(request.requestId ? { requestId: request.requestId } : {}),
        history: [...history],
        startedAt: Date.now(),
        events: [],
      };
      runner.turns.push(turn);
      await holds.get(conversation)?.promise;
      for (const step of runner.script?.(request) ?? []) {
        if (step.afterMs) await new Promise((resolve) => setTimeout(resolve, step.afterMs));
        turn.events.push({ at: Date.now(), event: step.event });
        request.onEvent?.(step.event);
      }
      const partial = await runner.respond(request, [...history]);
      histories.set(conversation, [...history, request.text]);
      turn.endedAt = Date.now();
      const result = fakeTurnResult(partial);
      if (!runner.deliverUnderLease || !request.deliver) return result;
      return { ...result, delivered: await request.deliver(result) };
    },
    async resetConversation(key) {
      runner.resets.push(conversationKeyString(key));
      histories.delete(conversationKeyString(key));
    },
  };
  return runner;
}
