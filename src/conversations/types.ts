import type { ApprovalId } from '../approvals/types.js';
import type { SessionId, TenantId } from '../core/ids.js';
import type { ConversationKey } from '../core/keys.js';
import type {
  ConversationSettings,
  SessionFilter,
  SessionInfo,
  SettingsChange,
  TranscriptStat,
} from '../sessions/types.js';

/**
 * Conversation management (issue 17): list a conversation's sessions and switch back to one,
 * choose its model and agent, show, export and delete sessions. One service over the stores, used
 * by the Telegram worker, the HTTP API and the CLI; serverless-true: every change is a store write
 * under the conversation's lease, so any container's next turn sees it.
 */

/**
 * Whether a session can be resumed: `available` (its history is kept and there), `expired` (past
 * its history horizon: listed, never resumed), `missing` (within the horizon but not in the store:
 * deleted or lost). Listings of a whole tenant decide by time alone (`available`/`expired`).
 */
export type HistoryState = 'available' | 'expired' | 'missing';

/** A session as listed: its catalog entry, whether the conversation is on it, and its history. */
export interface SessionView extends SessionInfo {
  current: boolean;
  history: HistoryState;
}

/** A conversation's sessions, newest first, and which one it continues (`null`: none yet). */
export interface SessionListing {
  key: ConversationKey;
  current: SessionId | null;
  sessions: SessionView[];
}

/** One session in detail (`sessions show`, the API). */
export interface SessionDetail {
  session: SessionView;
  /** The main transcript's size (`null` if it is not in the store). */
  main: TranscriptStat | null;
  subagents: Array<{ subpath: string; stat: TranscriptStat | null }>;
}

/** What a tenant's conversations may choose: model aliases (alias → id) and configured agents. */
export interface ConversationChoices {
  models: Readonly<Record<string, string>>;
  /** The tenant's default model (`model` in the tenants file), if any. */
  defaultModel: string | undefined;
  agents: readonly string[];
}

/** A conversation's settings with what may be chosen, for `/model`, `/agent`, `/debug` and the API. */
export interface SettingsView {
  settings: ConversationSettings;
  choices: ConversationChoices;
  /** Settings naming an alias or agent the tenant no longer has (the default answers instead). */
  stale: Array<'model' | 'agent'>;
}

export interface SwitchOutcome {
  session: SessionView;
  /** The conversation was already on this session (nothing changed). */
  unchanged: boolean;
  /** The approval request the previous session waited on, cancelled by the switch. */
  cancelledApproval?: ApprovalId;
}

export type ExportFormat = 'jsonl' | 'md';

export interface ExportedSession {
  filename: string;
  contentType: string;
  body: string;
}

export interface DeleteOutcome {
  session: SessionInfo;
  /** It was the conversation's current session: the conversation now starts afresh. */
  wasCurrent: boolean;
  subagentsDeleted: string[];
  cancelledApproval?: ApprovalId;
}

export interface ConversationService {
  /** A conversation's sessions (`/sessions`): each one's history checked in the store. */
  sessions(key: ConversationKey, options?: { limit?: number }): Promise<SessionListing>;
  /** A tenant's (or one chat's) sessions for operators; history decided by time alone. */
  tenantSessions(tenant: TenantId, filter?: SessionFilter): Promise<SessionView[]>;
  /** One session of the tenant: `ConversationError` `session_not_found` if there is none. */
  session(tenant: TenantId, sessionId: string): Promise<SessionDetail>;
  /**
   * Continue an earlier session of this conversation: checked (a session of this conversation,
   * history kept and present), then written under the conversation's lease. `by` is who asked (for
   * a cancelled approval request).
   */
  switchTo(key: ConversationKey, sessionId: string, by?: string): Promise<SwitchOutcome>;
  settings(key: ConversationKey): Promise<SettingsView>;
  /** Change the model and/or agent (`null` = back to the default), under the conversation's lease. */
  configure(key: ConversationKey, change: SettingsChange): Promise<SettingsView>;
  exportSession(tenant: TenantId, sessionId: string, format: ExportFormat): Promise<ExportedSession>;
  /** Delete a session's transcripts and catalog entry; its conversation starts afresh if it was on it. */
  deleteSession(tenant: TenantId, sessionId: string, by?: string): Promise<DeleteOutcome>;
}

/** The choices of a tenant (its tenants-file entry and agent-config folder). */
export type ChoicesResolver = (tenant: TenantId) => Promise<ConversationChoices>;
