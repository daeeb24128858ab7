import { createMemoryFileStore } from '../../../files/memory.js';
import { randomUUID } from 'node:crypto';
import type {
  foldSessionSummary,
  SessionStoreEntry,
  SessionSummaryEntry,
} from '@anthropic-ai/claude-agent-sdk';
import { CONVERSATION_RETENTION_DAYS, DAY_MS, systemClock, type Clock } from '../../../core/clock.js';
import { FencedWriteError, LeaseConflictError } from '../../../core/errors.js';
import { parseSessionId } from '../../../core/ids.js';
import {
  conversationKeyString,
  tenantFromProjectKey,
  transcriptAddress,
  transcriptId,
  type ConversationKey,
} from '../../../core/keys.js';
import { parseApprovalId } from '../../../approvals/ids.js';
import {
  createMemoryApprovalStore,
  emptyApprovalState,
  type MemoryApprovalState,
} from '../../../approvals/store/memory.js';
import {
  createMemoryClaimStore,
  createMemoryScheduleStore,
  type MemoryClaimState,
  type MemoryScheduleState,
} from '../../../schedules/store/memory.js';
import type { ConversationRecord, Lease, Storage, TranscriptStore, TurnRecord } from '../../types.js';
import { createMemorySessionCatalog, type MemoryCatalogState } from '../../catalog/memory.js';
import { parseSettingsChange, sessionTurns, settingsAfter, withSettings } from '../../settings.js';
import { createMemoryTurns } from './turns.js';

const RETENTION_MS = CONVERSATION_RETENTION_DAYS * DAY_MS;
const DEFAULT_LEASE_TTL_MS = 60_000;

/** One transcript stream; entries are kept as JSON text, so stored data never aliases caller objects. */
export interface MemoryStream {
  tenant: string;
  sessionId: string;
  subpath: string | undefined;
  lines: string[];
  uuids: Set<string>;
  bytes: number;
  mtime: number;
  summary: SessionSummaryEntry | undefined;
}

/** Everything the memory backend holds, exposed for tests' raw checks. */
export interface MemoryState {
  /** Keyed by `transcriptId`. */
  streams: Map<string, MemoryStream>;
  /** Keyed by `conversationKeyString`. */
  conversations: Map<string, ConversationRecord>;
  leases: Map<string, { token: number; owner: string; expiresAt: number; stopToken?: number }>;
  /** Turn ledger, keyed by `turnRecordId` (`tenant:chat:thread#requestId`). */
  turns: Map<string, TurnRecord>;
  /** Approval records and grants (`approvals/store/memory.ts`). */
  approvals: MemoryApprovalState;
  /** The session catalog (`sessions/catalog/memory.ts`). */
  catalog: MemoryCatalogState;
  /** Schedules and claims (`schedules/store/memory.ts`). */
  schedules: MemoryScheduleState;
  claims: MemoryClaimState;
}

export interface MemoryStorage extends Storage {
  readonly kind: 'memory';
  readonly state: MemoryState;
}

type Fold = typeof foldSessionSummary;
let foldPromise: Promise<Fold> | undefined;
const loadFold = () =>
  (foldPromise ??= import('@anthropic-ai/claude-agent-sdk').then((sdk) => sdk.foldSessionSummary));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * In-process storage for tests and single-process dev runs. Same contract as the durable backends
 * (it runs the conformance suite), nothing survives the process.
 */
export function createMemoryStorage(
  options: {
    clock?: Clock;
    /** Days approval records are kept after their deadline (default: the usage retention's). */
    approvalRetentionDays?: number;
  } = {},
): MemoryStorage {
  const clock = options.clock ?? systemClock;
  const state: MemoryState = {
    streams: new Map(),
    conversations: new Map(),
    leases: new Map(),
    turns: new Map(),
    approvals: emptyApprovalState(),
    catalog: new Map(),
    schedules: new Map(),
    claims: new Map(),
  };
  const now = () => Math.floor(clock.now());
  const live = (record: ConversationRecord | undefined): ConversationRecord | null =>
    record && record.expiresAt > now() ? { ...record } : null;

  const assertCurrent = (lease: Lease): void => {
    const row = state.leases.get(conversationKeyString(lease.key));
    if (!row || row.token !== lease.token || row.owner !== lease.owner || row.expiresAt <= now()) {
      throw new FencedWriteError(
        `[sessions:memory] write refused: lease ${lease.token} of ${conversationKeyString(lease.key)} is no longer current`,
      );
    }
  };

  const buildStore = (guard: (() => void) | undefined): TranscriptStore => ({
    async append(key, entries) {
      const addr = transcriptAddress(key);
      if (entries.length === 0) return;
      const fold = addr.subpath === undefined ? await loadFold() : undefined;
      guard?.();
      const id = transcriptId(addr);
      const stream = state.streams.get(id) ?? {
        tenant: addr.tenant,
        sessionId: addr.sessionId,
        subpath: addr.subpath,
        lines: [],
        uuids: new Set<string>(),
        bytes: 0,
        mtime: now(),
        summary: undefined,
      };
      const stored: SessionStoreEntry[] = [];
      for (const entry of entries) {
        const uuid = typeof entry.uuid === 'string' ? entry.uuid : undefined;
        if (uuid !== undefined && stream.uuids.has(uuid)) continue;
        if (uuid !== undefined) stream.uuids.add(uuid);
        const line = JSON.stringify(entry);
        stream.lines.push(line);
        stream.bytes += Buffer.byteLength(line);
        stored.push(entry);
      }
      if (stored.length === 0 && state.streams.has(id)) return;
      stream.mtime = now();
      if (fold) stream.summary = fold(stream.summary, key, stored, { mtime: stream.mtime });
      state.streams.set(id, stream);
    },
    async load(key) {
      const stream = state.streams.get(transcriptId(transcriptAddress(key)));
      return stream ? stream.lines.map((line) => JSON.parse(line) as SessionStoreEntry) : null;
    },
    async listSessions(projectKey) {
      const tenant = tenantFromProjectKey(projectKey);
      return [...state.streams.values()]
        .filter((s) => s.tenant === tenant && s.subpath === undefined)
        .map((s) => ({ sessionId: s.sessionId, mtime: s.mtime }));
    },
    async listSessionSummaries(projectKey) {
      const tenant = tenantFromProjectKey(projectKey);
      return [...state.streams.values()]
        .filter((s) => s.tenant === tenant && s.subpath === undefined)
        .map((s) => ({ sessionId: s.sessionId, mtime: s.mtime, data: { ...s.summary?.data } }));
    },
    async listSubkeys(key) {
      const addr = transcriptAddress({ projectKey: key.projectKey, sessionId: key.sessionId });
      return [...state.streams.values()]
        .filter((s) => s.tenant === addr.tenant && s.sessionId === addr.sessionId && s.subpath !== undefined)
        .map((s) => s.subpath as string)
        .sort();
    },
    async delete(key) {
      const addr = transcriptAddress(key);
      guard?.();
      for (const [id, s] of state.streams) {
        const sameSession = s.tenant === addr.tenant && s.sessionId === addr.sessionId;
        if (sameSession && (addr.subpath === undefined || s.subpath === addr.subpath))
          state.streams.delete(id);
      }
    },
    async stat(key) {
      const id = transcriptId(transcriptAddress(key));
      const s = state.streams.get(id);
      return s ? { entries: s.lines.length, bytes: s.bytes, mtime: s.mtime, location: `memory:${id}` } : null;
    },
  });

  const tryAcquire = (key: ConversationKey, ttlMs: number): Lease | null => {
    const name = conversationKeyString(key);
    const row = state.leases.get(name);
    if (row && row.expiresAt > now()) return null;
    const lease = {
      key,
      token: (row?.token ?? 0) + 1,
      owner: `memory:${randomUUID()}`,
      expiresAt: now() + ttlMs,
    };
    state.leases.set(name, { token: lease.token, owner: lease.owner, expiresAt: lease.expiresAt });
    return lease;
  };

  /** The conversation's lease row while a turn holds it (owner set, not expired). */
  const held = (key: ConversationKey) => {
    const row = state.leases.get(conversationKeyString(key));
    return row && row.owner !== '' && row.expiresAt > now() ? row : undefined;
  };

  return {
    kind: 'memory',
    state,
    transcripts: buildStore(undefined),
    transcriptsFor: (lease) => buildStore(() => assertCurrent(lease)),
    conversations: {
      async get(key) {
        return live(state.conversations.get(conversationKeyString(key)));
      },
      async touch(key, sessionId, options) {
        const pending = options?.pendingApproval;
        if (pending !== undefined) parseApprovalId(pending);
        const prev = live(state.conversations.get(conversationKeyString(key)));
        const t = now();
        const record: ConversationRecord = {
          key,
          sessionId,
          createdAt: prev?.createdAt ?? t,
          updatedAt: t,
          expiresAt: t + RETENTION_MS,
          turns: (prev?.turns ?? 0) + 1,
          ...(pending !== undefined ? { pendingApproval: pending } : {}),
          ...settingsAfter(prev, {}),
        };
        state.conversations.set(conversationKeyString(key), record);
        return { ...record };
      },
      async configure(key, change, newSessionId) {
        const valid = parseSettingsChange(change);
        const fresh = parseSessionId(newSessionId);
        const prev = live(state.conversations.get(conversationKeyString(key)));
        const t = now();
        const base = prev ?? { key, sessionId: fresh, createdAt: t, turns: 0 };
        const record = withSettings<ConversationRecord>(
          { ...base, updatedAt: t, expiresAt: t + RETENTION_MS },
          settingsAfter(prev, valid),
        );
        state.conversations.set(conversationKeyString(key), record);
        return { ...record };
      },
      async switchTo(key, sessionId, turns) {
        const id = parseSessionId(sessionId);
        const count = sessionTurns(turns);
        const prev = live(state.conversations.get(conversationKeyString(key)));
        const t = now();
        const record: ConversationRecord = {
          key,
          sessionId: id,
          createdAt: prev?.createdAt ?? t,
          updatedAt: t,
          expiresAt: t + RETENTION_MS,
          turns: count,
          ...settingsAfter(prev, {}),
        };
        state.conversations.set(conversationKeyString(key), record);
        return { ...record };
      },
      async remove(key) {
        const name = conversationKeyString(key);
        const record = live(state.conversations.get(name));
        state.conversations.delete(name);
        return record;
      },
      async list(tenant) {
        return [...state.conversations.values()]
          .filter((r) => r.key.tenant === tenant)
          .flatMap((r) => live(r) ?? [])
          .sort((a, b) => b.updatedAt - a.updatedAt);
      },
    },
    leases: {
      async acquire(key, options) {
        const deadline = Date.now() + (options?.waitMs ?? 0);
        for (;;) {
          const lease = tryAcquire(key, options?.ttlMs ?? DEFAULT_LEASE_TTL_MS);
          if (lease) return lease;
          if (Date.now() >= deadline) break;
          await sleep(Math.min(20, deadline - Date.now()));
        }
        throw new LeaseConflictError(`[sessions:memory] conversation ${conversationKeyString(key)} is busy`);
      },
      async heartbeat(lease, ttlMs = DEFAULT_LEASE_TTL_MS) {
        const row = state.leases.get(conversationKeyString(lease.key));
        if (!row || row.token !== lease.token || row.owner !== lease.owner) {
          throw new FencedWriteError(
            `[sessions:memory] lease ${lease.token} of ${conversationKeyString(lease.key)} was lost`,
          );
        }
        row.expiresAt = now() + ttlMs;
        return { ...lease, expiresAt: row.expiresAt };
      },
      async release(lease) {
        const row = state.leases.get(conversationKeyString(lease.key));
        if (row && row.token === lease.token && row.owner === lease.owner) {
          row.owner = '';
          row.expiresAt = 0;
        }
      },
      async requestStop(key, options) {
        const row = held(key);
        if (!row || (options?.turn !== undefined && row.token !== options.turn)) return { stopping: false };
        row.stopToken = row.token;
        return { stopping: true, turn: row.token };
      },
      async stopRequested(lease) {
        const row = state.leases.get(conversationKeyString(lease.key));
        return row !== undefined && row.token === lease.token && row.stopToken === lease.token;
      },
      async current(key) {
        const row = held(key);
        return row ? { turn: row.token } : null;
      },
    },
    turns: createMemoryTurns(state.turns, clock),
    files: createMemoryFileStore(),
    approvals: createMemoryApprovalStore({
      clock,
      state: state.approvals,
      ...(options.approvalRetentionDays !== undefined
        ? { retentionDays: options.approvalRetentionDays }
        : {}),
    }),
    sessions: createMemorySessionCatalog(state.catalog, clock),
    schedules: createMemoryScheduleStore({ state: state.schedules }),
    claims: createMemoryClaimStore({ clock, state: state.claims }),
    async close() {},
  };
}
