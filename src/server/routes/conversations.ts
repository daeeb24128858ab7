import { Hono } from 'hono';
import { SessionHistoryError } from '../../core/errors.js';
import { parseTenantId } from '../../core/ids.js';
import { parseSubpath, type ConversationKey } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import {
  describeConversation,
  exportConversation,
  sessionKeyOf as sessionKey,
  toJsonl,
  transcriptFileName,
} from '../../sessions/conversation-view.js';
import type { ConversationRecord, Storage } from '../../sessions/types.js';
import { assertTenantAllowed } from '../auth.js';
import type { ApiEnv } from '../context.js';
import { notFound } from '../errors.js';
import { conversationKeyOf as keyOf } from './conversation-key.js';
import { statJson } from './session-json.js';
import { queryId, transcriptFormat } from './session-query.js';

const iso = (ms: number): string => new Date(ms).toISOString();

function recordJson(record: ConversationRecord): Record<string, unknown> {
  return {
    tenant: record.key.tenant,
    chat: record.key.chat,
    thread: record.key.thread,
    session_id: record.sessionId,
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
    expires_at: iso(record.expiresAt),
    turns: record.turns,
    // The conversation's settings (`PATCH …/settings`); `null`: the tenant's default.
    model: record.model ?? null,
    agent: record.agent ?? null,
  };
}

/**
 * `GET /v1/conversations/:tenant` lists the tenant's conversations (newest first);
 * `/v1/conversations/:tenant/:chat/:thread` — metadata with the model/agent settings (GET),
 * transcript export (GET …/transcript) and forget (DELETE). Ids are validated by `conversationKey` (hostile ids → 400 `invalid_id`) and
 * the tenant must be in the caller's scope (403).
 *
 * Export format: `GET …/transcript` returns the main transcript as JSONL (`application/x-ndjson`, one
 * SDK entry per line); `?subpath=subagents/agent-<id>` returns one subagent transcript the same way;
 * `?format=json` returns everything in one envelope `{ session_id, transcripts: [{ subpath, entries }] }`
 * with `subpath: null` for the main transcript.
 */
export function conversationRoutes(deps: { storage: Storage; logger: Logger }): Hono<ApiEnv> {
  const { storage } = deps;
  const app = new Hono<ApiEnv>();

  const recordOf = async (key: ConversationKey): Promise<ConversationRecord> => {
    const record = await storage.conversations.get(key);
    if (!record) throw notFound('conversation_not_found', 'no conversation with this tenant/chat/thread');
    return record;
  };
  app.get('/:tenant', async (c) => {
    const tenant = parseTenantId(c.req.param('tenant'));
    assertTenantAllowed(c.get('principal'), tenant);
    const records = await storage.conversations.list(tenant);
    records.sort((a, b) => b.updatedAt - a.updatedAt);
    return c.json({ tenant, conversations: records.map(recordJson) });
  });

  app.get('/:tenant/:chat/:thread', async (c) => {
    const view = await describeConversation(storage, keyOf(c));
    if (!view) throw notFound('conversation_not_found', 'no conversation with this tenant/chat/thread');
    return c.json({
      conversation: recordJson(view.record),
      transcript: view.main ? statJson(view.main) : null,
      history_available: view.main !== null,
      subagents: view.subagents.map(({ subpath, stat }) => ({
        subpath,
        ...(stat ? statJson(stat) : { entries: 0, bytes: 0 }),
      })),
    });
  });

  app.get('/:tenant/:chat/:thread/transcript', async (c) => {
    const key = keyOf(c);
    const subpath = queryId('subpath', c.req.query('subpath'), parseSubpath);

    if (transcriptFormat(c.req.query('format')) === 'json') {
      const exported = await exportConversation(storage, key);
      if (!exported) throw notFound('conversation_not_found', 'no conversation with this tenant/chat/thread');
      if (!exported.transcripts[0]?.entries) throw historyMissing(exported.sessionId);
      const transcripts = exported.transcripts.map((t) => ({ subpath: t.subpath, entries: t.entries ?? [] }));
      return c.json({ session_id: exported.sessionId, transcripts });
    }

    const record = await recordOf(key);
    const entries = await storage.transcripts.load(sessionKey(record, subpath));
    if (!entries) {
      if (subpath === undefined) throw historyMissing(record.sessionId);
      throw notFound(
        'transcript_not_found',
        `no subagent transcript ${JSON.stringify(subpath)} in this session`,
      );
    }
    const name = transcriptFileName(record.sessionId, subpath);
    return c.body(toJsonl(entries), 200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
    });
  });

  // Forget: under the conversation's single-writer lease (a running turn → 409 conversation_busy),
  // remove the mapping, then delete the session's transcripts (the main key cascades to subpaths)
  // and its catalog entry, so it is not listed with a history that is gone. The conversation's
  // earlier sessions stay listed and resumable (`…/sessions`); `DELETE /:tenant/sessions/:id`
  // deletes one of them.
  app.delete('/:tenant/:chat/:thread', async (c) => {
    const key = keyOf(c);
    const lease = await storage.leases.acquire(key, { ttlMs: 60_000 });
    try {
      const record = await storage.conversations.remove(key);
      if (!record) throw notFound('conversation_not_found', 'no conversation with this tenant/chat/thread');
      const subpaths = await storage.transcripts.listSubkeys(sessionKey(record));
      await storage.transcripts.delete(sessionKey(record));
      const catalogued = await storage.sessions.remove(key.tenant, record.sessionId);
      deps.logger.info('[server] conversation deleted', {
        session_id: record.sessionId,
        subagents: subpaths.length,
        catalogued: catalogued !== null,
      });
      return c.json({ deleted: true, session_id: record.sessionId, subagents_deleted: subpaths });
    } finally {
      await storage.leases.release(lease);
    }
  });

  return app;
}

function historyMissing(sessionId: string): SessionHistoryError {
  return new SessionHistoryError(
    `[server] conversation maps to session ${sessionId} but its transcript is missing from the store`,
  );
}
