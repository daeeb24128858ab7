import type { ConversationKey } from '../../core/keys.js';

/** One file of a conversation's transcript for `/debug` (main transcript, subagents…). */
export interface TranscriptFile {
  filename: string;
  content: string | Uint8Array;
}

/** Exports a conversation's transcript files (empty when there is none yet). */
export type TranscriptExporter = (key: ConversationKey) => Promise<TranscriptFile[]>;

/** Spending of one scope in the current UTC day and month. */
export interface PeriodSpend {
  turns: number;
  costUsd: number;
}

/** Usage for `/cost`: the conversation's totals (all time), optionally by period and the sender's own. */
export interface ConversationUsage {
  turns: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  /** The conversation today and this month (UTC). */
  periods?: { day: PeriodSpend; month: PeriodSpend };
  /** The sender's usage in this tenant (all their conversations): today, this month, all time. */
  user?: { day: PeriodSpend; month: PeriodSpend; all: PeriodSpend };
}

/** Reads a conversation's usage (and the sender's, when given); null when nothing was recorded. */
export type UsageReader = (key: ConversationKey, userId?: number) => Promise<ConversationUsage | null>;
