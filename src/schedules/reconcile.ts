import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import { ScheduleConflictError, ScheduleLimitError } from './errors.js';
import type { ScheduleSync } from './sync.js';
import type { ScheduleName, ScheduleRecord, ScheduleSpec, ScheduleStore } from './types.js';

/** What a reconcile did, by schedule name. */
export interface ReconcileSummary {
  created: ScheduleName[];
  updated: ScheduleName[];
  removed: ScheduleName[];
  unchanged: ScheduleName[];
  /** File entries left alone: the name belongs to a runtime schedule, or the store refused. */
  conflicts: { name: ScheduleName; reason: string }[];
  /** Store written but the trigger not (`omnicloud schedules sync` or the next change repairs it). */
  syncFailures: { name: ScheduleName; reason: string }[];
}

export interface ReconcileOptions {
  tenant: TenantId;
  /** The tenant's `schedules.yaml`, already validated (`AgentConfig.schedules`). */
  specs: readonly ScheduleSpec[];
  store: ScheduleStore;
  sync: ScheduleSync;
  clock: Clock;
}

/** A put that lost a race (a `/schedule pause` in between) is re-read and retried this often. */
const MAX_ATTEMPTS = 3;

/**
 * Makes the store's `config` schedules of a tenant match its file: creates the new ones (created by
 * `config`), updates the changed ones (keeping `paused`, `topic`, `createdAt` and `lastDueAt`; see `bookmark`), removes
 * the ones the file no longer has, and calls the sync for each change. `runtime` schedules are never
 * touched: a file entry whose name one of them holds is returned as a conflict. Idempotent: a second
 * run finds everything unchanged and calls no sync. Store failures other than a conflict throw.
 */
export async function reconcileConfigSchedules(options: ReconcileOptions): Promise<ReconcileSummary> {
  const { tenant, specs, store, sync } = options;
  const summary: ReconcileSummary = {
    created: [],
    updated: [],
    removed: [],
    unchanged: [],
    conflicts: [],
    syncFailures: [],
  };
  const applied: ScheduleRecord[] = [];
  const wanted = new Set<string>(specs.map((s) => s.name));
  // One listing serves the whole pass: removals first (so a file that swaps schedules never trips
  // the per-tenant limit), then each spec against its listed record (read again only after a race).
  const listed = new Map<string, ScheduleRecord>();
  for (const record of await store.list(tenant)) {
    if (record.origin !== 'config' || wanted.has(record.name)) listed.set(record.name, record);
    else if (await store.remove(tenant, record.name)) summary.removed.push(record.name);
  }
  for (const spec of specs) {
    const outcome = await writeSpec(options, spec, listed.get(spec.name) ?? null);
    if (outcome.kind === 'conflict') summary.conflicts.push({ name: spec.name, reason: outcome.reason });
    else if (outcome.kind === 'unchanged') summary.unchanged.push(spec.name);
    else {
      summary[outcome.kind].push(spec.name);
      applied.push(outcome.record);
    }
  }
  const calls = [
    ...summary.removed.map((name) => ({ name, run: () => sync.remove(tenant, name) })),
    ...applied.map((record) => ({ name: record.name, run: () => sync.apply(record) })),
  ];
  for (const call of calls) {
    try {
      await call.run();
    } catch (err) {
      summary.syncFailures.push({ name: call.name, reason: errorMessage(err) });
    }
  }
  return summary;
}

type Outcome =
  | { kind: 'created' | 'updated'; record: ScheduleRecord }
  | { kind: 'unchanged' }
  | { kind: 'conflict'; reason: string };

async function writeSpec(
  options: ReconcileOptions,
  spec: ScheduleSpec,
  listed: ScheduleRecord | null,
): Promise<Outcome> {
  const { tenant, store, clock } = options;
  for (let attempt = 1; ; attempt++) {
    const current = attempt === 1 ? listed : await store.get(tenant, spec.name);
    if (current?.origin === 'runtime') {
      return {
        kind: 'conflict',
        reason: `"${spec.name}" is a schedule created by ${current.createdBy} (not from schedules.yaml): rename the file's entry or remove that schedule`,
      };
    }
    if (current && sameSpec(current, spec)) return { kind: 'unchanged' };
    const now = clock.now();
    try {
      if (!current) {
        const record = await store.put(
          {
            ...specOf(spec),
            tenant,
            origin: 'config',
            paused: false,
            createdBy: 'config',
            createdAt: now,
            updatedAt: now,
            version: 0,
          },
          0,
        );
        return { kind: 'created', record };
      }
      return { kind: 'updated', record: await update(store, current, spec, now) };
    } catch (err) {
      if (err instanceof ScheduleLimitError) return { kind: 'conflict', reason: err.message };
      if (!(err instanceof ScheduleConflictError)) throw err;
      if (attempt >= MAX_ATTEMPTS) return { kind: 'conflict', reason: err.message };
    }
  }
}

/**
 * The file's spec with the record's bookkeeping. A topic made for `thread: new` belongs to its chat:
 * when the target chat changes it is dropped, which the store can only do by replacing the record
 * (its `put` keeps a stored topic); everything else kept is carried over.
 */
async function update(
  store: ScheduleStore,
  current: ScheduleRecord,
  spec: ScheduleSpec,
  now: number,
): Promise<ScheduleRecord> {
  const record: ScheduleRecord = {
    ...specOf(spec),
    tenant: current.tenant,
    origin: 'config',
    paused: current.paused,
    createdBy: current.createdBy,
    createdAt: current.createdAt,
    updatedAt: now,
    version: current.version,
    ...bookmark(current, spec, now),
  };
  if (current.topic !== undefined && current.target.chat !== spec.target.chat) {
    await store.remove(current.tenant, current.name);
    return store.put(record, 0);
  }
  return store.put(record, current.version); // `put` keeps the stored topic
}

/**
 * The local scheduler's bookmark is kept, except when the timing or time zone changed: the new
 * timing counts from the change (never back), else a due time of the new timing between the old
 * bookmark and now would run at once, or be reported missed, though nobody ever scheduled it.
 */
function bookmark(current: ScheduleRecord, spec: ScheduleSpec, now: number): { lastDueAt?: number } {
  if (current.lastDueAt === undefined) return {};
  const retimed = timingKey(current) !== timingKey(spec) || current.timezone !== spec.timezone;
  return { lastDueAt: retimed ? Math.max(current.lastDueAt, now) : current.lastDueAt };
}

function timingKey(s: ScheduleSpec): string {
  return s.timing.type === 'cron' ? `cron ${s.timing.expression}` : `rate ${s.timing.every} ${s.timing.unit}`;
}

/** Only the fields a person writes (a record carries more). */
function specOf(spec: ScheduleSpec): ScheduleSpec {
  return {
    name: spec.name,
    timing: { ...spec.timing },
    timezone: spec.timezone,
    prompt: spec.prompt,
    target: {
      chat: spec.target.chat,
      ...(spec.target.thread !== undefined ? { thread: spec.target.thread } : {}),
    },
    ...(spec.model !== undefined ? { model: spec.model } : {}),
    ...(spec.agent !== undefined ? { agent: spec.agent } : {}),
    enabled: spec.enabled,
  };
}

/** Field by field, so the order a backend returns keys in does not matter. */
function sameSpec(a: ScheduleSpec, b: ScheduleSpec): boolean {
  const key = (s: ScheduleSpec) =>
    JSON.stringify([
      s.name,
      timingKey(s),
      s.timezone,
      s.prompt,
      s.target.chat,
      s.target.thread ?? null,
      s.model ?? null,
      s.agent ?? null,
      s.enabled,
    ]);
  return key(a) === key(b);
}
