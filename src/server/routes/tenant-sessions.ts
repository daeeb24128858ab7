import { Hono, type Context } from 'hono';
import type { ConversationService } from '../../conversations/types.js';
import { parseChatId, parseSessionId, parseThreadId, parseTenantId, type TenantId } from '../../core/ids.js';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../sessions/catalog/rules.js';
import type { SessionFilter } from '../../sessions/types.js';
import { assertTenantAllowed } from '../auth.js';
import type { ApiEnv } from '../context.js';
import { sessionDetailJson, sessionInfoJson, sessionJson } from './session-json.js';
import { queryFormat, queryId, queryLimit, queryValue, threadNeedsChat } from './session-query.js';

/**
 * A lowercase UUID, as `parseSessionId` takes it. `GET|DELETE /:tenant/sessions/:session` match
 * only such ids, so `/:tenant/sessions/main` still reaches the conversation whose chat is
 * `sessions` (`/:tenant/:chat/:thread`); a chat named `sessions` with a UUID thread is the one
 * conversation these routes shadow.
 */
const SESSION_PARAM = ':session{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}}';

function tenantOf(c: Context<ApiEnv>): TenantId {
  const tenant = parseTenantId(c.req.param('tenant'));
  assertTenantAllowed(c.get('principal'), tenant);
  return tenant;
}

/** `?chat=&thread=&limit=` as a catalog filter (ids validated: hostile ones → 400 `invalid_id`). */
function filterOf(c: Context<ApiEnv>): SessionFilter {
  const chat = queryValue(c, 'chat');
  const thread = queryValue(c, 'thread');
  if (thread !== undefined && chat === undefined) throw threadNeedsChat();
  const chatId = queryId('chat', chat, parseChatId);
  const threadId = queryId('thread', thread, parseThreadId);
  return {
    ...(chatId !== undefined ? { chat: chatId } : {}),
    ...(threadId !== undefined ? { thread: threadId } : {}),
    limit: queryLimit(c.req.query('limit'), DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT),
  };
}

/**
 * A tenant's sessions for operators, under `/v1/conversations/:tenant/sessions`: the listing
 * (newest first, history by time alone), one session in detail, its export (`?format=jsonl|md`)
 * and its deletion. A session id of another tenant is simply not found (404): the catalog is keyed
 * by tenant, so nothing of another tenant is ever read. Mounted before the conversation routes:
 * `GET|DELETE /:tenant/:chat/:thread` would otherwise take `/:tenant/sessions/<id>`.
 */
export function tenantSessionRoutes(deps: { conversations: ConversationService }): Hono<ApiEnv> {
  const { conversations } = deps;
  const app = new Hono<ApiEnv>();

  app.get('/:tenant/sessions', async (c) => {
    const tenant = tenantOf(c);
    const filter = filterOf(c);
    const sessions = await conversations.tenantSessions(tenant, filter);
    return c.json({ tenant, sessions: sessions.map((s) => sessionJson(s, false)) });
  });

  app.get(`/:tenant/sessions/${SESSION_PARAM}`, async (c) => {
    const tenant = tenantOf(c);
    return c.json(
      sessionDetailJson(await conversations.session(tenant, parseSessionId(c.req.param('session')))),
    );
  });

  app.get('/:tenant/sessions/:session/export', async (c) => {
    const tenant = tenantOf(c);
    const sessionId = parseSessionId(c.req.param('session'));
    const format = queryFormat(c.req.query('format'));
    const exported = await conversations.exportSession(tenant, sessionId, format);
    return c.body(exported.body, 200, {
      'content-type': exported.contentType,
      'content-disposition': `attachment; filename="${exported.filename}"`,
    });
  });

  app.delete(`/:tenant/sessions/${SESSION_PARAM}`, async (c) => {
    const tenant = tenantOf(c);
    const sessionId = parseSessionId(c.req.param('session'));
    const outcome = await conversations.deleteSession(tenant, sessionId, c.get('principal').subject);
    return c.json({
      deleted: true,
      session: sessionInfoJson(outcome.session),
      was_current: outcome.wasCurrent,
      subagents_deleted: outcome.subagentsDeleted,
      cancelled_approval: outcome.cancelledApproval ?? null,
    });
  });

  return app;
}
