import { Hono, type Context } from 'hono';
import { SessionHistoryError } from '../../core/errors.js';
import { conversationKey, parseSubpath, projectKeyForTenant, type ConversationKey } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import type { ConversationRecord, SessionKey, Storage, TranscriptStat } from '../../sessions/types.js';
import { assertTenantAllowed } from '../auth.js';
import type { ApiEnv } from '../context.js';
import { notFound } from '../errors.js';

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
  };
}

const statJson = (stat: TranscriptStat): Record<string, unknown> => ({
  entries: stat.entries,
  bytes: stat.bytes,
  mtime: iso(stat.mtime),
  location: stat.location,
});

/**
 * `/v1/conversations/:tenant/:chat/:thread` — metadata (GET), transcript export (GET …/transcript)
 * and forget (DELETE). Ids are validated by `conversationKey` (hostile ids → 400 `invalid_id`) and
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

  const keyOf = (c: Context<ApiEnv>): ConversationKey => {
    const key = conversationKey({
      tenant: c.req.param('tenant'),
      chat: c.req.param('chat'),
      thread: c.req.param('thread'),
    });
    assertTenantAllowed(c.get('principal'), key.tenant);
    return key;
  };
  const recordOf = async (key: ConversationKey): Promise<ConversationRecord> => {
    const record = await storage.conversations.get(key);
    if (!record) throw notFound('conversation_not_found', 'no conversation with this tenant/chat/thread');
    return record;
  };
  const sessionKey = (record: ConversationRecord, subpath?: string): SessionKey => ({
    projectKey: projectKeyForTenant(record.key.tenant),
    sessionId: record.sessionId,
    ...(subpath === undefined ? {} : { subpath }),
  });

  app.get('/:tenant/:chat/:thread', async (c) => {
    const record = await recordOf(keyOf(c));
    const main = await storage.transcripts.stat(sessionKey(record));
    const subpaths = await storage.transcripts.listSubkeys(sessionKey(record));
    const subagents = [];
    for (const subpath of subpaths) {
      const stat = await storage.transcripts.stat(sessionKey(record, subpath));
      subagents.push({ subpath, ...(stat ? statJson(stat) : { entries: 0, bytes: 0 }) });
    }
    return c.json({
      conversation: recordJson(record),
      transcript: main ? statJson(main) : null,
      history_available: main !== null,
      subagents,
    });
  });

  app.get('/:tenant/:chat/:thread/transcript', async (c) => {
    const record = await recordOf(keyOf(c));
    const subpath = parseSubpath(c.req.query('subpath'));
    const load = async (sub?: string) => storage.transcripts.load(sessionKey(record, sub));

    if (c.req.query('format') === 'json') {
      const main = await load();
      if (!main) throw historyMissing(record);
      const transcripts: Array<{ subpath: string | null; entries: unknown[] }> = [
        { subpath: null, entries: main },
      ];
      for (const sub of await storage.transcripts.listSubkeys(sessionKey(record))) {
        transcripts.push({ subpath: sub, entries: (await load(sub)) ?? [] });
      }
      return c.json({ session_id: record.sessionId, transcripts });
    }

    const entries = await load(subpath);
    if (!entries) {
      if (subpath === undefined) throw historyMissing(record);
      throw notFound(
        'transcript_not_found',
        `no subagent transcript ${JSON.stringify(subpath)} in this session`,
      );
    }
    const name = `${record.sessionId}${subpath ? `-${subpath.replaceAll('/', '_')}` : ''}.jsonl`;
    const body = entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : '');
    return c.body(body, 200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
    });
  });

  // Forget: under the conversation's single-writer lease (a running turn → 409 conversation_busy),
  // remove the mapping, then delete the session's transcripts (the main key cascades to subpaths).
  app.delete('/:tenant/:chat/:thread', async (c) => {
    const key = keyOf(c);
    const lease = await storage.leases.acquire(key, { ttlMs: 60_000 });
    try {
      const record = await storage.conversations.remove(key);
      if (!record) throw notFound('conversation_not_found', 'no conversation with this tenant/chat/thread');
      const subpaths = await storage.transcripts.listSubkeys(sessionKey(record));
      await storage.transcripts.delete(sessionKey(record));
      deps.logger.info('[server] conversation deleted', {
        session_id: record.sessionId,
        subagents: subpaths.length,
      });
      return c.json({ deleted: true, session_id: record.sessionId, subagents_deleted: subpaths });
    } finally {
      await storage.leases.release(lease);
    }
  });

  return app;
}

function historyMissing(record: ConversationRecord): SessionHistoryError {
  return new SessionHistoryError(
    `[server] conversation maps to session ${record.sessionId} but its transcript is missing from the store`,
  );
}
