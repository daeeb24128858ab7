import type { ConversationKey } from '../core/keys.js';

/** One user message for a conversation. */
export interface TurnRequest {
  key: ConversationKey;
  text: string;
  /** When the user sent it (Telegram `date`, API `message_time`); passed to the agent. */
  messageTime?: Date;
  /** Model alias or id override for this turn (`haiku`, `sonnet`, `opus`, or a full id). */
  model?: string;
  /** Who sent it (Telegram user id), for usage accounting and logs. */
  userId?: string;
  /** Aborts the turn (worker time budget, shutdown). */
  signal?: AbortSignal;
  /**
   * Stable id of the user message (`tg:<update_id>`, `api:<request_id>`; `[A-Za-z0-9:_-]{1,128}`).
   * With it the turn runs at most once per conversation: a repeat (queue re-delivery, client retry)
   * gets the recorded result back (`replayed`) instead of running the turn again. Without it, every
   * call runs a turn.
   */
  requestId?: string;
  /**
   * Delivers the result to the user while the runner still holds the conversation's lease, so a
   * concurrent re-delivery of the same message waits until the reply is out and recorded. Resolve
   * `true` once it reached the user (the runner then marks it delivered in the turn ledger). Not
   * called when an earlier attempt already delivered this request's result.
   */
  deliver?: (result: TurnResult) => Promise<boolean>;
}

/** Token usage of a turn as reported by the model API. */
export interface TurnUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** The original's response contract, plus usage and timing. */
export interface TurnResult {
  response: string;
  session_id: string;
  cost_usd: number;
  num_turns: number;
  is_error: boolean;
  error_message: string | null;
  /** Stable code when `is_error` (e.g. `api_error`, `history_not_persisted`, `session_history_unavailable`). */
  error_code: string | null;
  usage: TurnUsage;
  model: string | null;
  duration_ms: number;
  /**
   * Set when the turn was not run by this call (same `requestId` as an earlier call): `done` — the
   * recorded result of the earlier run; `recovered` — an earlier attempt died after its turn was
   * stored, and the reply was read back from the transcript (or, if it cannot be, `is_error` with
   * `error_code` `turn_interrupted`). Absent for a turn run now.
   */
  replayed?: 'done' | 'recovered';
  /** Only with `requestId`: whether the result reached the user (by an earlier attempt or `deliver`). */
  delivered?: boolean;
}

/**
 * Runs conversation turns on the Claude Agent SDK: maps the conversation to its session, resumes it
 * through the session store, holds the single-writer lease for the turn.
 */
export interface AgentRunner {
  runTurn(request: TurnRequest): Promise<TurnResult>;
  /** `/new`: forget the conversation's session so the next turn starts fresh (history is kept in the store). */
  resetConversation(key: ConversationKey): Promise<void>;
  /** Record that the result of `requestId` reached the user (a later re-delivery then sends nothing). */
  markDelivered?(key: ConversationKey, requestId: string): Promise<void>;
}
