import { systemClock, type Clock } from '../../core/clock.js';
import { conversationKeyString, sameConversation } from '../../core/keys.js';
import type { ApprovalRecord, ApprovalStore } from '../types.js';
import {
  GRANT_RETENTION_MS,
  MAX_GRANTS,
  applyResolution,
  approvalRetentionMs,
  assertIdenticalRetry,
  checkId,
  checkKey,
  checkNewRecord,
  checkNotice,
  checkResolution,
  checkRule,
  checkTenant,
  failedResolve,
  keepUntil,
  listLimit,
  tooManyGrants,
} from './record.js';
import { parseSessionId } from '../../core/ids.js';

/** What the memory approval store holds, exposed for the conformance suite's raw checks. */
export interface MemoryApprovalState {
  /** Keyed by `<tenant>#<id>`; values are JSON text, so stored data never aliases caller objects. */
  records: Map<string, { json: string; keepUntil: number }>;
  /** Keyed by `<tenant>:<chat>:<thread>#<sessionId>`: the rules in order and their expiry. */
  grants: Map<string, { rules: string[]; expiresAt: number }>;
}

export interface MemoryApprovalStoreOptions {
  clock?: Clock;
  /** Days records are kept after `expiresAt` (default: the usage retention's default). */
  retentionDays?: number;
  /** Share state with a `MemoryStorage` (default: a fresh one). */
  state?: MemoryApprovalState;
}

export function emptyApprovalState(): MemoryApprovalState {
  return { records: new Map(), grants: new Map() };
}

/** In-process approval store (tests, single-process dev runs): the same contract as the durable ones. */
export function createMemoryApprovalStore(
  options: MemoryApprovalStoreOptions = {},
): ApprovalStore & { readonly state: MemoryApprovalState } {
  const clock = options.clock ?? systemClock;
  const retention = approvalRetentionMs(options.retentionDays);
  const state = options.state ?? emptyApprovalState();
  const source = 'approvals:memory';
  const now = () => Math.floor(clock.now());

  const read = (name: string): ApprovalRecord | null => {
    const row = state.records.get(name);
    return row && row.keepUntil > now() ? (JSON.parse(row.json) as ApprovalRecord) : null;
  };
  const write = (name: string, record: ApprovalRecord) =>
    state.records.set(name, { json: JSON.stringify(record), keepUntil: keepUntil(record, retention) });
  const grantName = (key: Parameters<ApprovalStore['grant']>[0], sessionId: string) =>
    `${conversationKeyString(checkKey(key))}#${parseSessionId(sessionId)}`;

  return {
    state,
    async create(input) {
      const record = checkNewRecord(input);
      const name = `${record.key.tenant}#${record.id}`;
      const existing = read(name);
      if (existing) return assertIdenticalRetry(existing, record, source);
      write(name, record);
    },

    async get(tenant, id) {
      return read(`${checkTenant(tenant)}#${checkId(id)}`);
    },

    async resolve(tenant, id, input) {
      const name = `${checkTenant(tenant)}#${checkId(id)}`;
      const resolution = checkResolution(input);
      const current = read(name);
      if (current === null || current.status !== 'pending') return failedResolve(current, resolution);
      const record = applyResolution(current, resolution);
      write(name, record);
      return { ok: true, record };
    },

    async setNotice(tenant, id, input) {
      const name = `${checkTenant(tenant)}#${checkId(id)}`;
      const notice = checkNotice(input);
      const current = read(name);
      if (current) write(name, { ...current, notice });
    },

    async grant(key, sessionId, input) {
      const name = grantName(key, sessionId);
      const rule = checkRule(input);
      const row = state.grants.get(name);
      const rules = row && row.expiresAt > now() ? row.rules : [];
      if (rules.includes(rule)) return;
      if (rules.length >= MAX_GRANTS) tooManyGrants(source);
      state.grants.set(name, { rules: [...rules, rule], expiresAt: now() + GRANT_RETENTION_MS });
    },

    async grants(key, sessionId) {
      const row = state.grants.get(grantName(key, sessionId));
      return row && row.expiresAt > now() ? [...row.rules] : [];
    },

    async list(key, options) {
      const checked = checkKey(key);
      const limit = listLimit(options);
      const prefix = `${checked.tenant}#`;
      const mine: ApprovalRecord[] = [];
      for (const [name] of state.records) {
        if (!name.startsWith(prefix)) continue;
        const record = read(name);
        if (record && sameConversation(record.key, checked)) mine.push(record);
      }
      return mine.sort(newestFirst).slice(0, limit);
    },

    async listTenant(tenant, options) {
      const prefix = `${checkTenant(tenant)}#`;
      const limit = listLimit(options);
      const all: ApprovalRecord[] = [];
      for (const [name] of state.records) {
        const record = name.startsWith(prefix) ? read(name) : null;
        if (record) all.push(record);
      }
      return all.sort(newestFirst).slice(0, limit);
    },
  };
}

/** Newest first; the id breaks ties so the order is total (every backend sorts the same way). */
export function newestFirst(a: ApprovalRecord, b: ApprovalRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
