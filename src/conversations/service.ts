import { randomUUID } from 'node:crypto';
import { createApprovalFlow } from '../agent/approval-flow.js';
import type { ApprovalId } from '../approvals/types.js';
import { systemClock, type Clock } from '../core/clock.js';
import { parseSessionId, type SessionId, type TenantId } from '../core/ids.js';
import { conversationKeyString, sameConversation, type ConversationKey } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import {
  describeSession,
  exportSession,
  sessionKeyIn,
  toJsonl,
  transcriptFileName,
} from '../sessions/conversation-view.js';
import { settingsOf } from '../sessions/settings.js';
import type { ConversationRecord, Lease, SessionInfo, Storage, TranscriptStat } from '../sessions/types.js';
import { ConversationError } from './errors.js';
import { renderTranscriptMarkdown } from './markdown/index.js';
import type {
  ChoicesResolver,
  ConversationService,
  ExportFormat,
  HistoryState,
  SessionView,
  SettingsView,
} from './types.js';

export interface ConversationServiceDeps {
  storage: Storage;
  choices: ChoicesResolver;
  logger: Logger;
  clock?: Clock;
  /** How long a change waits for a running turn to end before it is refused (`conversation_busy`). */
  leaseWaitMs?: number;
}

const LEASE_TTL_MS = 60_000;
/** How many sessions `/sessions` shows by default. */
export const DEFAULT_SESSIONS_SHOWN = 10;

export function createConversationService(deps: ConversationServiceDeps): ConversationService {
  const { storage, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const approvals = createApprovalFlow({ approvals: storage.approvals, logger });

  /** Runs `change` holding the conversation's lease (a change after any running turn, fenced like one). */
  async function leased<T>(key: ConversationKey, change: (lease: Lease) => Promise<T>): Promise<T> {
    const lease = await storage.leases.acquire(key, { ttlMs: LEASE_TTL_MS, waitMs: deps.leaseWaitMs ?? 0 });
    try {
      return await change(lease);
    } finally {
      await storage.leases.release(lease);
    }
  }

  /** History by time, then (with `verify`) by the store. */
  async function historyOf(info: SessionInfo, verify: boolean): Promise<HistoryState> {
    if (info.historyUntil <= clock.now()) return 'expired';
    if (!verify) return 'available';
    return historyGiven(info, await storage.transcripts.stat(sessionKeyIn(info.key.tenant, info.sessionId)));
  }

  /** History by time, then by the main transcript's stat already read. */
  function historyGiven(info: SessionInfo, main: TranscriptStat | null): HistoryState {
    if (info.historyUntil <= clock.now()) return 'expired';
    return main && main.entries > 0 ? 'available' : 'missing';
  }

  async function view(info: SessionInfo, current: SessionId | null, verify: boolean): Promise<SessionView> {
    return { ...info, current: info.sessionId === current, history: await historyOf(info, verify) };
  }

  /**
   * The map's current session when the catalog does not know it (a session from before the catalog
   * existed): listed from the map record so it can still be found and switched back to.
   */
  function fromMap(record: ConversationRecord): SessionInfo {
    return {
      key: record.key,
      sessionId: record.sessionId,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      turns: record.turns,
      title: '',
      costUsd: 0,
      model: null,
      origin: 'turn',
      historyUntil: record.expiresAt,
    };
  }

  /** A session of the tenant by id, or `session_not_found`. */
  async function find(tenant: TenantId, sessionId: string): Promise<SessionInfo> {
    const id = parseSessionId(sessionId);
    const info = await storage.sessions.get(tenant, id);
    if (!info)
      throw new ConversationError(
        'session_not_found',
        `[conversations] no session ${id} in tenant ${tenant}`,
      );
    return info;
  }

  /** A session of this conversation, or `session_not_found` saying whether it is another's. */
  async function findIn(
    key: ConversationKey,
    id: SessionId,
    map: ConversationRecord | null,
  ): Promise<SessionInfo> {
    const listed = await storage.sessions.list(key.tenant, {
      chat: key.chat,
      thread: key.thread,
      limit: 1000,
    });
    const info =
      listed.find((s) => s.sessionId === id) ??
      (map?.sessionId === id && map.turns > 0 ? fromMap(map) : null);
    if (info) return info;
    const elsewhere = await storage.sessions.get(key.tenant, id);
    throw new ConversationError(
      'session_not_found',
      elsewhere
        ? `[conversations] session ${id} belongs to another conversation; only this conversation's sessions can be continued here`
        : `[conversations] no session ${id} in this conversation`,
    );
  }

  async function settingsView(
    key: ConversationKey,
    record: ConversationRecord | null,
  ): Promise<SettingsView> {
    const choices = await deps.choices(key.tenant);
    const settings = settingsOf(record);
    const stale: SettingsView['stale'] = [];
    if (settings.model !== undefined && !Object.hasOwn(choices.models, settings.model)) stale.push('model');
    if (settings.agent !== undefined && !choices.agents.includes(settings.agent)) stale.push('agent');
    return { settings, choices, stale };
  }

  async function cancelPending(
    key: ConversationKey,
    map: ConversationRecord | null,
    by: string | undefined,
  ): Promise<ApprovalId | undefined> {
    return approvals.cancelPending(key, map, by, clock.now());
  }

  return {
    async sessions(key, options) {
      const map = await storage.conversations.get(key);
      const current = map && map.turns > 0 ? map.sessionId : null;
      const limit = options?.limit ?? DEFAULT_SESSIONS_SHOWN;
      const listed = await storage.sessions.list(key.tenant, { chat: key.chat, thread: key.thread, limit });
      if (map && current && !listed.some((s) => s.sessionId === current)) {
        // Older than the newest `limit` (switched back to), or from before the catalog existed.
        const known = await storage.sessions.get(key.tenant, current);
        listed.unshift(known && sameConversation(known.key, key) ? known : fromMap(map));
        if (listed.length > limit) listed.pop();
      }
      const sessions = await Promise.all(listed.map((info) => view(info, current, true)));
      return { key, current, sessions };
    },

    async tenantSessions(tenant, filter) {
      const listed = await storage.sessions.list(tenant, filter);
      // Which session each conversation is on (one listing, not one read per row).
      const on = new Set(
        (await storage.conversations.list(tenant))
          .filter((record) => record.turns > 0)
          .map((record) => `${conversationKeyString(record.key)}#${record.sessionId}`),
      );
      return Promise.all(
        listed.map((info) =>
          view(
            info,
            on.has(`${conversationKeyString(info.key)}#${info.sessionId}`) ? info.sessionId : null,
            false,
          ),
        ),
      );
    },

    async session(tenant, sessionId) {
      const info = await find(tenant, sessionId);
      const map = await storage.conversations.get(info.key);
      const current = map && map.turns > 0 ? map.sessionId : null;
      const { main, subagents } = await describeSession(storage, tenant, info.sessionId);
      const history = historyGiven(info, main);
      return { session: { ...info, current: info.sessionId === current, history }, main, subagents };
    },

    async switchTo(key, sessionId, by) {
      const id = parseSessionId(sessionId);
      return leased(key, async () => {
        const map = await storage.conversations.get(key);
        const info = await findIn(key, id, map);
        const history = await historyOf(info, true);
        if (history === 'expired') {
          throw new ConversationError(
            'session_expired',
            `[conversations] session ${id} ended ${new Date(info.updatedAt).toISOString()}; its history is kept 25 days and has expired`,
          );
        }
        if (history === 'missing') {
          throw new ConversationError(
            'session_history_missing',
            `[conversations] the history of session ${id} is no longer in the store (deleted)`,
          );
        }
        const current = map && map.turns > 0 ? map.sessionId : null;
        if (current === id) return { session: { ...info, current: true, history }, unchanged: true };
        await storage.conversations.switchTo(key, id, info.turns);
        const cancelled = await cancelPending(key, map, by);
        logger.info('[conversations] switched session', {
          conversation: conversationKeyString(key),
          from: current,
          to: id,
        });
        return {
          session: { ...info, current: true, history },
          unchanged: false,
          ...(cancelled ? { cancelledApproval: cancelled } : {}),
        };
      });
    },

    async settings(key) {
      return settingsView(key, await storage.conversations.get(key));
    },

    async configure(key, change) {
      const choices = await deps.choices(key.tenant);
      if (typeof change.model === 'string' && !Object.hasOwn(choices.models, change.model)) {
        throw new ConversationError(
          'unknown_model',
          `[conversations] no model "${change.model}" for this tenant (choose one of: ${Object.keys(choices.models).join(', ')})`,
        );
      }
      if (typeof change.agent === 'string' && !choices.agents.includes(change.agent)) {
        throw new ConversationError(
          'unknown_agent',
          choices.agents.length === 0
            ? `[conversations] this tenant has no configured agents (agents.json)`
            : `[conversations] no agent "${change.agent}" for this tenant (choose one of: ${choices.agents.join(', ')})`,
        );
      }
      const record = await leased(key, () =>
        storage.conversations.configure(key, change, parseSessionId(randomUUID())),
      );
      return settingsView(key, record);
    },

    async exportSession(tenant, sessionId, format: ExportFormat) {
      const id = parseSessionId(sessionId);
      const info = await storage.sessions.get(tenant, id);
      // JSONL is the main transcript alone: its subagent streams are read only for Markdown.
      const exported =
        format === 'md'
          ? await exportSession(storage, tenant, id)
          : {
              sessionId: id,
              transcripts: [
                { subpath: null, entries: await storage.transcripts.load(sessionKeyIn(tenant, id)) },
              ],
            };
      const main = exported.transcripts[0]?.entries ?? null;
      if (!main) {
        throw info
          ? new ConversationError(
              'session_history_missing',
              `[conversations] the history of session ${id} is not in the store`,
            )
          : new ConversationError(
              'session_not_found',
              `[conversations] no session ${id} in tenant ${tenant}`,
            );
      }
      if (format === 'jsonl') {
        return {
          filename: transcriptFileName(id, null),
          contentType: 'application/x-ndjson; charset=utf-8',
          body: toJsonl(main),
        };
      }
      // A subagent stream gone between listing and loading is left out, as before.
      const transcripts = exported.transcripts.filter((t) => t.entries !== null);
      const body = renderTranscriptMarkdown({
        sessionId: id,
        transcripts,
        ...(info
          ? {
              meta: {
                tenant,
                chat: info.key.chat,
                thread: info.key.thread,
                title: info.title,
                createdAt: info.createdAt,
                updatedAt: info.updatedAt,
                turns: info.turns,
                costUsd: info.costUsd,
                model: info.model,
              },
            }
          : {}),
      });
      return { filename: `${id}.md`, contentType: 'text/markdown; charset=utf-8', body };
    },

    async deleteSession(tenant, sessionId, by) {
      const info = await find(tenant, sessionId);
      return leased(info.key, async () => {
        const map = await storage.conversations.get(info.key);
        const wasCurrent = map?.sessionId === info.sessionId;
        let cancelled: ApprovalId | undefined;
        if (wasCurrent) {
          // The conversation starts afresh at its next turn, keeping its model and agent.
          await storage.conversations.switchTo(info.key, parseSessionId(randomUUID()), 0);
          cancelled = await cancelPending(info.key, map, by);
        }
        const subagentsDeleted = await storage.transcripts.listSubkeys(sessionKeyIn(tenant, info.sessionId));
        await storage.transcripts.delete(sessionKeyIn(tenant, info.sessionId));
        await storage.sessions.remove(tenant, info.sessionId);
        logger.info('[conversations] session deleted', {
          conversation: conversationKeyString(info.key),
          session_id: info.sessionId,
          was_current: wasCurrent,
          subagents: subagentsDeleted.length,
        });
        return {
          session: info,
          wasCurrent,
          subagentsDeleted,
          ...(cancelled ? { cancelledApproval: cancelled } : {}),
        };
      });
    },
  };
}
