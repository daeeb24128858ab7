import { StorageError } from '../../../core/errors.js';
import type { TenantId } from '../../../core/ids.js';
import { RATE_UNITS, type RateUnit, type ScheduleName, type ScheduleRecord } from '../../types.js';

/**
 * Schedules and claims in the sessions' single DynamoDB table (`pk` = tenant, so no key of tenant
 * A can address tenant B's items):
 *
 * | item           | sk                | attributes                                                         |
 * |----------------|-------------------|--------------------------------------------------------------------|
 * | schedule       | `sched#<name>`    | the record's fields (`timing`, `target` as maps), `version`, `writeId` (last replace, see writes.ts); no `ttl` |
 * | schedule index | `schedidx`        | `names` (string set of the tenant's schedule names): the limit     |
 * | claim          | `claim#<key>`     | `value`, `count`, `expiresAt` (epoch ms), `ttl` (its epoch seconds, rounded up), `nonce` |
 *
 * `list` is one Query on `sched#` (all pages). A create and a remove are one transaction with the
 * index item, whose condition `size(names) < 100` is the per-tenant limit; a replace is one
 * conditional UpdateItem on `version`. A claim is live while `expiresAt > now`; DynamoDB's TTL
 * deletes it after `ttl`, until then it reads as absent.
 */
export const SCHEDULE_PREFIX = 'sched#';
export const SCHEDULE_INDEX_SK = 'schedidx';
export const CLAIM_PREFIX = 'claim#';

export const scheduleSk = (name: ScheduleName): string => `${SCHEDULE_PREFIX}${name}`;
export const claimSk = (key: string): string => `${CLAIM_PREFIX}${key}`;

export const SOURCE = 'schedules:dynamodb';

/** The stored attributes of a record (the key, `version` and the bookkeeping fields aside). */
export function scheduleAttributes(r: ScheduleRecord): Record<string, unknown> {
  return {
    name: r.name,
    timing: { ...r.timing },
    timezone: r.timezone,
    prompt: r.prompt,
    target: { ...r.target },
    ...(r.model !== undefined ? { model: r.model } : {}),
    ...(r.agent !== undefined ? { agent: r.agent } : {}),
    enabled: r.enabled,
    origin: r.origin,
    paused: r.paused,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function corrupt(sk: unknown, what: string): never {
  throw new StorageError(`[${SOURCE}] schedule item ${String(sk)} has ${what}`, { code: 'storage_corrupt' });
}

function field<T>(item: Record<string, unknown>, name: string, type: 'string' | 'number' | 'boolean'): T {
  const value = item[name];
  return typeof value === type ? (value as T) : corrupt(item.sk, `no ${type} ${name}`);
}

function timingOf(item: Record<string, unknown>): ScheduleRecord['timing'] {
  const t = (item.timing ?? {}) as Record<string, unknown>;
  if (t.type === 'cron' && typeof t.expression === 'string')
    return { type: 'cron', expression: t.expression };
  if (t.type === 'rate' && typeof t.every === 'number' && RATE_UNITS.includes(t.unit as RateUnit))
    return { type: 'rate', every: t.every, unit: t.unit as RateUnit };
  return corrupt(item.sk, 'an unreadable timing');
}

function targetOf(item: Record<string, unknown>): ScheduleRecord['target'] {
  const t = (item.target ?? {}) as Record<string, unknown>;
  if (typeof t.chat !== 'number') return corrupt(item.sk, 'no target chat');
  if (t.thread === undefined) return { chat: t.chat };
  if (t.thread === 'new' || typeof t.thread === 'number') return { chat: t.chat, thread: t.thread };
  return corrupt(item.sk, 'an unreadable thread');
}

/** A schedule item read back into the record (optional fields absent, never `undefined`). */
export function toRecord(tenant: TenantId, item: Record<string, unknown>): ScheduleRecord {
  const origin = item.origin;
  if (origin !== 'config' && origin !== 'runtime') return corrupt(item.sk, 'an unknown origin');
  const record: ScheduleRecord = {
    tenant,
    name: field<ScheduleName>(item, 'name', 'string'),
    timing: timingOf(item),
    timezone: field(item, 'timezone', 'string'),
    prompt: field(item, 'prompt', 'string'),
    target: targetOf(item),
    enabled: field(item, 'enabled', 'boolean'),
    origin,
    paused: field(item, 'paused', 'boolean'),
    createdBy: field(item, 'createdBy', 'string'),
    createdAt: field(item, 'createdAt', 'number'),
    updatedAt: field(item, 'updatedAt', 'number'),
    version: field(item, 'version', 'number'),
  };
  if (typeof item.model === 'string') record.model = item.model;
  if (typeof item.agent === 'string') record.agent = item.agent;
  if (typeof item.topic === 'number') record.topic = item.topic;
  if (typeof item.lastDueAt === 'number') record.lastDueAt = item.lastDueAt;
  return record;
}
