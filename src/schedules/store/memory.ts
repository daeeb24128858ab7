import { systemClock, type Clock } from '../../core/clock.js';
import { parseTenantId, type TenantId } from '../../core/ids.js';
import type { ClaimStore } from '../claims.js';
import { ScheduleConflictError, ScheduleLimitError } from '../errors.js';
import {
  MAX_SCHEDULES_PER_TENANT,
  type ScheduleName,
  type ScheduleRecord,
  type ScheduleStore,
} from '../types.js';
import {
  assertClaimKey,
  assertClaimLimit,
  assertClaimTtl,
  assertClaimValue,
  assertDueAt,
  assertExpectedVersion,
  assertScheduleAddress,
  assertScheduleRecord,
  assertTopic,
} from './validate.js';

/** What the memory schedule store holds, keyed `<tenant>\n<name>` (exposed for tests' raw checks). */
export type MemoryScheduleState = Map<string, ScheduleRecord>;

/** What the memory claim store holds, keyed `<tenant>\n<key>` (a counter's `value` is ''). */
export type MemoryClaimState = Map<string, { value: string; count: number; expiresAt: number }>;

/** Schedules in memory (tests, the terminal chat without a data dir). Records are copied in and out. */
export function createMemoryScheduleStore(
  options: { state?: MemoryScheduleState } = {},
): ScheduleStore & { readonly state: MemoryScheduleState } {
  const records: MemoryScheduleState = options.state ?? new Map();
  const id = (tenant: TenantId, name: string) => `${tenant}\n${name}`;
  const copy = (r: ScheduleRecord): ScheduleRecord => structuredClone(r);
  return {
    state: records,
    async list(tenant) {
      parseTenantId(tenant);
      return [...records.values()]
        .filter((r) => r.tenant === tenant)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map(copy);
    },
    async get(tenant, name) {
      assertScheduleAddress(tenant, name);
      const r = records.get(id(tenant, name));
      return r ? copy(r) : null;
    },
    async put(record, expectedVersion) {
      assertScheduleRecord(record);
      assertExpectedVersion(expectedVersion);
      const current = records.get(id(record.tenant, record.name));
      if (expectedVersion !== undefined && (current?.version ?? 0) !== expectedVersion) {
        throw new ScheduleConflictError(
          `[schedules] ${record.name} is at version ${current?.version ?? 0}, not ${expectedVersion}`,
        );
      }
      if (
        !current &&
        [...records.values()].filter((r) => r.tenant === record.tenant).length >= MAX_SCHEDULES_PER_TENANT
      ) {
        throw new ScheduleLimitError(
          `[schedules] a tenant has at most ${MAX_SCHEDULES_PER_TENANT} schedules`,
        );
      }
      const topic = record.topic ?? current?.topic;
      const lastDueAt = record.lastDueAt ?? current?.lastDueAt;
      const stored: ScheduleRecord = {
        ...copy(record),
        version: (current?.version ?? 0) + 1,
        ...(topic !== undefined ? { topic } : {}),
        ...(lastDueAt !== undefined ? { lastDueAt } : {}),
      };
      records.set(id(record.tenant, record.name), stored);
      return copy(stored);
    },
    async remove(tenant, name) {
      assertScheduleAddress(tenant, name);
      return records.delete(id(tenant, name));
    },
    async setTopic(tenant, name: ScheduleName, topic) {
      assertScheduleAddress(tenant, name);
      assertTopic(topic);
      const r = records.get(id(tenant, name));
      if (!r) return null;
      if (r.topic === undefined) r.topic = topic;
      return r.topic;
    },
    async markDue(tenant, name, dueAt) {
      assertScheduleAddress(tenant, name);
      assertDueAt(dueAt);
      const r = records.get(id(tenant, name));
      if (r && (r.lastDueAt === undefined || dueAt > r.lastDueAt)) r.lastDueAt = dueAt;
    },
  };
}

/** Claims in memory, expiring by the injected clock. */
export function createMemoryClaimStore(
  options: { clock?: Clock; state?: MemoryClaimState } = {},
): ClaimStore & { readonly state: MemoryClaimState } {
  const clock = options.clock ?? systemClock;
  const items: MemoryClaimState = options.state ?? new Map();
  const live = (tenant: TenantId, key: string) => {
    const item = items.get(`${tenant}\n${key}`);
    return item && item.expiresAt > clock.now() ? item : undefined;
  };
  return {
    state: items,
    async putIfAbsent(tenant, key, value, ttlMs) {
      parseTenantId(tenant);
      assertClaimKey(key);
      assertClaimValue(value);
      assertClaimTtl(ttlMs);
      const item = live(tenant, key);
      if (item) return { created: false, value: item.value };
      items.set(`${tenant}\n${key}`, { value, count: 0, expiresAt: clock.now() + ttlMs });
      return { created: true, value };
    },
    async get(tenant, key) {
      parseTenantId(tenant);
      assertClaimKey(key);
      return live(tenant, key)?.value ?? null;
    },
    async delete(tenant, key) {
      parseTenantId(tenant);
      assertClaimKey(key);
      items.delete(`${tenant}\n${key}`);
    },
    async increment(tenant, key, limit, ttlMs) {
      parseTenantId(tenant);
      assertClaimKey(key);
      assertClaimLimit(limit);
      assertClaimTtl(ttlMs);
      const item = live(tenant, key);
      if (!item) {
        if (limit < 1) return false;
        items.set(`${tenant}\n${key}`, { value: '', count: 1, expiresAt: clock.now() + ttlMs });
        return true;
      }
      if (item.count >= limit) return false;
      item.count += 1;
      return true;
    },
  };
}
