import type { ConversationKey } from '../core/keys.js';

/** One file of a conversation's transcript for `/debug` (main transcript, subagents…). */
export interface TranscriptFile {
  filename: string;
  content: string | Uint8Array;
}

/** Exports a conversation's transcript files (empty when there is none yet). */
export type TranscriptExporter = (key: ConversationKey) => Promise<TranscriptFile[]>;

/** Usage of one conversation for `/cost`. */
export interface ConversationUsage {
  turns: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
}

/** Reads a conversation's usage; null when nothing was recorded. */
export type UsageReader = (key: ConversationKey) => Promise<ConversationUsage | null>;
