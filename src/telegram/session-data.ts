import { parseSessionId, type SessionId } from '../core/ids.js';

/**
 * The buttons of a `/sessions` list: `ss:<sessionId>` (3 + 36 = 39 bytes, within Telegram's 64).
 * The data names only the session: the conversation is the one the button's message is in, and
 * the worker checks that the session is one of its own before switching.
 */
const PREFIX = 'ss:';

/** Telegram's limit for `callback_data`, in bytes. */
export const CALLBACK_DATA_LIMIT = 64;

export function sessionButtonData(sessionId: string): string {
  return `${PREFIX}${sessionId}`;
}

/** A press meant for the session buttons (well formed or not: a malformed one is refused there). */
export function isSessionData(data: string): boolean {
  return data.startsWith(PREFIX);
}

/** The session a button names, or `undefined` for anything but `ss:<lowercase UUID>`. */
export function parseSessionData(data: string): SessionId | undefined {
  if (!isSessionData(data)) return undefined;
  try {
    return parseSessionId(data.slice(PREFIX.length));
  } catch {
    return undefined;
  }
}
