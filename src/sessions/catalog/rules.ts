import { CONVERSATION_RETENTION_DAYS, DAY_MS } from '../../core/clock.js';
import { InvalidIdError, StorageError } from '../../core/errors.js';
import { parseChatId, parseSessionId, parseThreadId, type ChatId, type ThreadId } from '../../core/ids.js';
import {
  conversationKey,
  conversationKeyString,
  sameConversation,
  type ConversationKey,
} from '../../core/keys.js';
import {
  SESSION_EXPIRED_LISTING_DAYS,
  SESSION_TITLE_MAX,
  type SessionFilter,
  type SessionInfo,
  type SessionTurn,
} from '../types.js';

/**
 * The catalog's rules, shared by every backend: what one turn does to an entry, how long an entry
 * lives, how a title is cut. Backends store and query; they decide nothing themselves.
 */

const HISTORY_MS = CONVERSATION_RETENTION_DAYS * DAY_MS;
const LISTED_EXPIRED_MS = SESSION_EXPIRED_LISTING_DAYS * DAY_MS;
/** Default and largest `SessionFilter.limit`. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/** Until when a session's history is kept after a turn at `at`. */
export function historyUntil(at: number): number {
  return at + HISTORY_MS;
}

/** Until when an entry is kept (its history horizon, then listed as expired for a while). */
export function keepUntil(info: Pick<SessionInfo, 'historyUntil'>): number {
  return info.historyUntil + LISTED_EXPIRED_MS;
}

/** Whether an entry still reads as present at `now`. */
export function isKept(info: Pick<SessionInfo, 'historyUntil'>, now: number): boolean {
  return keepUntil(info) > now;
}

/** A question as a one-line title: whitespace collapsed, control characters dropped, cut with "…". */
export function sessionTitle(text: string): string {
  const line = text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...line];
  return chars.length <= SESSION_TITLE_MAX ? line : `${chars.slice(0, SESSION_TITLE_MAX - 1).join('')}…`;
}

/** A finite, non-negative cost (a NaN or negative one from a broken result counts as 0). */
export function turnCost(costUsd: number): number {
  return Number.isFinite(costUsd) && costUsd > 0 ? costUsd : 0;
}

/** The entry after one more turn (`prev` absent or no longer kept: a new entry). */
export function withTurn(
  prev: SessionInfo | null,
  key: ConversationKey,
  sessionId: SessionInfo['sessionId'],
  turn: SessionTurn,
): SessionInfo {
  if (prev && !sameConversation(prev.key, key)) throw sessionConflict(sessionId, prev.key, key);
  const at = Math.floor(turn.at);
  return {
    key,
    sessionId,
    createdAt: prev?.createdAt ?? at,
    updatedAt: at,
    turns: (prev?.turns ?? 0) + 1,
    title: prev && prev.title !== '' ? prev.title : sessionTitle(turn.title),
    costUsd: (prev?.costUsd ?? 0) + turnCost(turn.costUsd),
    model: turn.model ?? prev?.model ?? null,
    origin: prev?.origin ?? 'turn',
    historyUntil: historyUntil(at),
  };
}

export function sessionConflict(
  sessionId: string,
  listed: ConversationKey,
  asked: ConversationKey,
): StorageError {
  return new StorageError(
    `[sessions:catalog] session ${sessionId} belongs to ${conversationKeyString(listed)}, not ${conversationKeyString(asked)}`,
    { code: 'session_conflict' },
  );
}

export function sessionExists(sessionId: string): StorageError {
  return new StorageError(`[sessions:catalog] a session ${sessionId} is already in the catalog`, {
    code: 'session_exists',
  });
}

/** The filter's limit, bounded. */
export function listLimit(filter: SessionFilter | undefined): number {
  const limit = filter?.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) return DEFAULT_LIST_LIMIT;
  return Math.min(limit, MAX_LIST_LIMIT);
}

/**
 * A caller's conversation key checked again (a key built by hand, not by `conversationKey`, must
 * not reach a storage key): `InvalidIdError` before anything is read or written.
 */
export function catalogKey(key: ConversationKey): ConversationKey {
  return conversationKey({ tenant: key.tenant, chat: key.chat, thread: key.thread });
}

/** An entry to store as given (`create`), its key and session id checked. */
export function catalogEntry(info: SessionInfo): SessionInfo {
  return { ...info, key: catalogKey(info.key), sessionId: parseSessionId(info.sessionId) };
}

/** A validated listing filter: chat and thread checked, a thread only with a chat, limit bounded. */
export interface CatalogQuery {
  chat?: ChatId;
  thread?: ThreadId;
  limit: number;
}

export function catalogQuery(filter: SessionFilter | undefined): CatalogQuery {
  if (filter?.thread !== undefined && filter.chat === undefined) {
    throw new InvalidIdError('[sessions:catalog] a thread filter needs a chat filter');
  }
  return {
    ...(filter?.chat !== undefined ? { chat: parseChatId(filter.chat) } : {}),
    ...(filter?.thread !== undefined ? { thread: parseThreadId(filter.thread) } : {}),
    limit: listLimit(filter),
  };
}

/** Whether an entry passes the filter's chat/thread. */
export function matches(info: SessionInfo, filter: SessionFilter | undefined): boolean {
  if (filter?.chat !== undefined && info.key.chat !== filter.chat) return false;
  if (filter?.thread !== undefined && info.key.thread !== filter.thread) return false;
  return true;
}

/** Newest first (ties: by session id, so listings are stable). */
export function newestFirst(a: SessionInfo, b: SessionInfo): number {
  return b.updatedAt - a.updatedAt || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);
}
