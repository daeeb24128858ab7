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
}

/**
 * Runs conversation turns on the Claude Agent SDK: maps the conversation to its session, resumes it
 * through the session store, holds the single-writer lease for the turn.
 */
export interface AgentRunner {
  runTurn(request: TurnRequest): Promise<TurnResult>;
  /** `/new`: forget the conversation's session so the next turn starts fresh (history is kept in the store). */
  resetConversation(key: ConversationKey): Promise<void>;
}
