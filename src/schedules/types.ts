import type { TenantId } from '../core/ids.js';

/**
 * Scheduled runs (issue 16): a prompt run by the agent at due times, in a Telegram chat, on the same
 * per-conversation path as a person's message (lease, ledger, budgets, approvals, usage).
 *
 * Schedules come from two places: the tenant's `schedules.yaml` (origin `config`; changed by editing
 * the file and syncing) and Telegram `/schedule add` or `POST /v1/schedules/:tenant` (origin
 * `runtime`). Both live in the `ScheduleStore`, the single source a worker, the local scheduler and
 * the EventBridge sync read.
 */

/** `[a-z0-9][a-z0-9_-]{0,39}`: a schedule's name, unique within its tenant. */
export type ScheduleName = string & { readonly __brand: 'ScheduleName' };

export const SCHEDULE_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export const RATE_UNITS = ['minutes', 'hours', 'days'] as const;
export type RateUnit = (typeof RATE_UNITS)[number];

/**
 * When a schedule is due: a 5-field cron expression (minute hour day-of-month month day-of-week,
 * evaluated in the schedule's time zone) or a fixed rate. Rates are due at every multiple of the
 * period since the Unix epoch (so any container computes the same due times).
 */
export type ScheduleTiming =
  { type: 'cron'; expression: string } | { type: 'rate'; every: number; unit: RateUnit };

/** No schedule may be due more often than this (cron and rate alike). */
export const MIN_SCHEDULE_INTERVAL_MS = 5 * 60 * 1000;

/**
 * Where runs post. `thread`: an existing forum topic (runs continue that topic's conversation),
 * `'new'` (a topic of the schedule's own, created on its first run and kept: replies there continue
 * the schedule's session), or absent (the chat itself: a private chat or a group without topics).
 */
export interface ScheduleTarget {
  chat: number;
  thread?: number | 'new';
}

/** What a person (or the file) says about a schedule. */
export interface ScheduleSpec {
  name: ScheduleName;
  timing: ScheduleTiming;
  /** IANA time zone the cron expression is read in (default `UTC`). */
  timezone: string;
  /** The prompt each run sends (1–4000 characters). */
  prompt: string;
  target: ScheduleTarget;
  /** Model alias or id for the runs (default: the tenant's). */
  model?: string;
  /** A configured agent (agents.json) to answer the runs (default: the main agent). */
  agent?: string;
  /** `false`: never run (config); see also `ScheduleRecord.paused`. */
  enabled: boolean;
}

export type ScheduleOrigin = 'config' | 'runtime';

/** A stored schedule. */
export interface ScheduleRecord extends ScheduleSpec {
  tenant: TenantId;
  origin: ScheduleOrigin;
  /** Paused by a person (`/schedule pause`, the API): kept across config syncs. */
  paused: boolean;
  /** Who created it (`tg:<user id>`, `token:<label>`, `config`). */
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  /** Starts at 1; every `put` adds 1 (optimistic concurrency). */
  version: number;
  /** The topic created for `target.thread: 'new'` (set once, by the first run). */
  topic?: number;
  /** The latest due time handed to the queue (epoch ms): the local scheduler's bookmark. */
  lastDueAt?: number;
}

/** A schedule may run only when enabled and not paused. */
export function isActive(record: Pick<ScheduleRecord, 'enabled' | 'paused'>): boolean {
  return record.enabled && !record.paused;
}

/**
 * Every tenant's schedules. Records are addressed by (tenant, name) only: no call can reach another
 * tenant's record. Drivers: memory, SQLite (`./store/sqlite.js`), DynamoDB (`./store/dynamodb.js`);
 * every one passes `./store/conformance.js`.
 */
export interface ScheduleStore {
  /** The tenant's schedules, by name. */
  list(tenant: TenantId): Promise<ScheduleRecord[]>;
  get(tenant: TenantId, name: ScheduleName): Promise<ScheduleRecord | null>;
  /**
   * Create or replace (the stored `version` becomes `expectedVersion + 1`, `updatedAt` is the
   * record's). `expectedVersion`: 0 = must not exist, n = must be at version n, undefined = any.
   * Throws `ScheduleConflictError` when the condition fails; validates the record first
   * (`InvalidScheduleError`). `topic` and `lastDueAt` are kept from the stored record when the new
   * one has none.
   */
  put(record: ScheduleRecord, expectedVersion?: number): Promise<ScheduleRecord>;
  /** True if it existed. */
  remove(tenant: TenantId, name: ScheduleName): Promise<boolean>;
  /**
   * Records the topic made for `thread: 'new'` unless one is recorded already; returns the one
   * recorded (the first writer's). Null when the schedule does not exist.
   */
  setTopic(tenant: TenantId, name: ScheduleName, topic: number): Promise<number | null>;
  /** Moves `lastDueAt` forward to `dueAt` (never back). No-op for an unknown schedule. */
  markDue(tenant: TenantId, name: ScheduleName, dueAt: number): Promise<void>;
}

/** At most this many schedules per tenant (a `put` of a new one past it is refused). */
export const MAX_SCHEDULES_PER_TENANT = 100;
