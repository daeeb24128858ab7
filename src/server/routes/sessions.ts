import { Hono, type Context } from 'hono';
import type { AgentRunner } from '../../agent/types.js';
import { ConversationError } from '../../conversations/errors.js';
import type { ConversationService } from '../../conversations/types.js';
import { parseSessionId } from '../../core/ids.js';
import { MAX_LIST_LIMIT } from '../../sessions/catalog/rules.js';
import type { SettingsChange } from '../../sessions/types.js';
import type { ApiEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { readJson, validate } from '../validation.js';
import { conversationKeyOf } from './conversation-key.js';
import { sessionJson, settingsJson } from './session-json.js';
import { SETTINGS_PATCH, queryLimit, readEmptyBody } from './session-query.js';

/** How many sessions `GET …/sessions` lists without `?limit=`. */
export const DEFAULT_API_SESSIONS = 50;

/**
 * One conversation's sessions and settings (issue 17), under `/v1/conversations/:tenant/:chat/:thread`:
 * - `GET …/sessions?limit=` — its sessions, newest first, each with `current` and `history`
 *   (checked in the store: `available`, `expired` or `missing`);
 * - `POST …/sessions/new` — the next turn starts a new session (Telegram's `/new`); the earlier
 *   ones stay listed and can be switched back to;
 * - `POST …/sessions/:session/switch` — continue an earlier session of this conversation;
 * - `GET|PATCH …/settings` — its model alias and agent (`null` = the tenant's default).
 * Same ids and tenant scope as the other conversation routes; the rules are the service's.
 */
export function sessionRoutes(deps: {
  conversations: ConversationService;
  /** Starts a new session at the next turn (the runner's, which also drops a warm process). */
  reset: AgentRunner['resetConversation'];
}): Hono<ApiEnv> {
  const { conversations } = deps;
  const app = new Hono<ApiEnv>();
  const by = (c: Context<ApiEnv>): string => c.get('principal').subject;

  app.get('/:tenant/:chat/:thread/sessions', async (c) => {
    const key = conversationKeyOf(c);
    const limit = queryLimit(c.req.query('limit'), DEFAULT_API_SESSIONS, MAX_LIST_LIMIT);
    const listing = await conversations.sessions(key, { limit });
    return c.json({
      tenant: key.tenant,
      chat: key.chat,
      thread: key.thread,
      current_session_id: listing.current,
      sessions: listing.sessions.map((s) => sessionJson(s)),
    });
  });

  // Like `/new`: under the conversation's lease (a running turn → 409 conversation_busy). Nothing is
  // deleted; a pending approval of the session it leaves is cancelled.
  app.post('/:tenant/:chat/:thread/sessions/new', async (c) => {
    const key = conversationKeyOf(c);
    await readEmptyBody(c);
    const reset = await deps.reset(key);
    return c.json({ new_session: true, cancelled_approval: reset?.cancelledApproval ?? null });
  });

  // An action on one session, its id in the path like every other id (validated, never a body
  // field that could be misspelt): the switch also cancels an approval the previous session waited
  // on, so it is a POST, not a PUT of a field. Repeating it is harmless (`unchanged: true`).
  app.post('/:tenant/:chat/:thread/sessions/:session/switch', async (c) => {
    const key = conversationKeyOf(c);
    const sessionId = parseSessionId(c.req.param('session'));
    await readEmptyBody(c);
    const outcome = await conversations.switchTo(key, sessionId, by(c));
    return c.json({
      session: sessionJson(outcome.session),
      unchanged: outcome.unchanged,
      cancelled_approval: outcome.cancelledApproval ?? null,
    });
  });

  app.get('/:tenant/:chat/:thread/settings', async (c) => {
    const key = conversationKeyOf(c);
    return c.json(settingsJson(await conversations.settings(key)));
  });

  app.patch('/:tenant/:chat/:thread/settings', async (c) => {
    const key = conversationKeyOf(c);
    const body = validate(SETTINGS_PATCH, await readJson(c));
    const change: SettingsChange = {
      ...(body.model !== undefined ? { model: body.model } : {}),
      ...(body.agent !== undefined ? { agent: body.agent } : {}),
    };
    // Nothing to change: answer the settings without writing (no record is created for it).
    if (Object.keys(change).length === 0) return c.json(settingsJson(await conversations.settings(key)));
    try {
      return c.json(settingsJson(await conversations.configure(key, change)));
    } catch (err) {
      throw namedField(err);
    }
  });

  return app;
}

/** An unknown model or agent keeps its code and gains the field it is about, like a body error. */
function namedField(err: unknown): unknown {
  if (!(err instanceof ConversationError)) return err;
  const field = err.code === 'unknown_model' ? 'model' : err.code === 'unknown_agent' ? 'agent' : null;
  if (field === null) return err;
  return new ApiError(err.status, err.code, err.message, [{ path: field, message: err.message }]);
}
