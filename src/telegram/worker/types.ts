import type { ApprovalId } from '../../approvals/types.js';
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

/**
 * Conversation management for `/sessions`, its buttons, `/model`, `/agent` and `/debug` (issue 17),
 * as the worker needs it; the composition root passes the conversation service
 * (`app/conversations.ts`). Refusals are thrown as `OmniError`s with a 4xx status and one of
 * the codes `./conversations.ts` answers (nothing changed); `conversation_busy` means a turn holds the
 * conversation (the queue retries).
 */
export interface ConversationControl {
  /** The conversation's sessions, newest first (each one's history checked). */
  sessions(key: ConversationKey, options?: { limit?: number }): Promise<SessionsPage>;
  /** Continue an earlier session of this conversation, under its lease; `by` is who asked. */
  switchTo(key: ConversationKey, sessionId: string, by?: string): Promise<SwitchResult>;
  settings(key: ConversationKey): Promise<SettingsInfo>;
  /** Set (a name) or clear (`null`) the model and/or agent, under the conversation's lease. */
  configure(
    key: ConversationKey,
    change: { model?: string | null; agent?: string | null },
  ): Promise<SettingsInfo>;
}

/** One session as `/sessions` lists it. */
export interface SessionEntry {
  sessionId: string;
  createdAt: number;
  updatedAt: number;
  turns: number;
  /** The first question (≤ 120 characters; empty for a session from before the catalog). */
  title: string;
  costUsd: number;
  /** `available`: can be continued; `expired`: past its history horizon; `missing`: deleted. */
  history: 'available' | 'expired' | 'missing';
  current: boolean;
}

export interface SessionsPage {
  /** The session the conversation continues (`null`: none started yet). */
  current: string | null;
  sessions: SessionEntry[];
}

export interface SwitchResult {
  session: SessionEntry;
  /** It was already the conversation's session: nothing changed. */
  unchanged: boolean;
  /** The approval request the previous session waited on, cancelled by the switch. */
  cancelledApproval?: ApprovalId;
}

/** A conversation's model and agent settings, what may be chosen, and which settings are stale. */
export interface SettingsInfo {
  settings: { model?: string; agent?: string };
  choices: {
    /** Model aliases → model ids. */
    models: Readonly<Record<string, string>>;
    /** The tenant's default model; undefined: the deployment's. */
    defaultModel: string | undefined;
    agents: readonly string[];
  };
  /** Settings naming an alias or agent the tenant no longer has (the default answers instead). */
  stale: ReadonlyArray<'model' | 'agent'>;
}
