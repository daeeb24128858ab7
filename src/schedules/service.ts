import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import {
  InvalidScheduleError,
  ScheduleConflictError,
  ScheduleFromConfigError,
  ScheduleNotFoundError,
  ScheduleSyncError,
} from './errors.js';
import { parseScheduleSpec, writtenSpec } from './spec.js';
import type { ScheduleSync } from './sync.js';
import type {
  ScheduleName,
  ScheduleRecord,
  ScheduleSpec,
  ScheduleStore,
  ScheduleTarget,
  ScheduleTiming,
} from './types.js';

/** Whether the bot can post in a chat: `unknown` when it could not be checked (never refused for it). */
export type ChatProbeResult = 'ok' | 'not_member' | 'unknown';

export interface ScheduleServiceDeps {
  store: ScheduleStore;
  sync: ScheduleSync;
  clock: Clock;
  /** The tenant's configured agents (agents.json): a schedule's `agent` must be one of them. */
  agentsOf(tenant: TenantId): readonly string[] | Promise<readonly string[]>;
  /** Whether the tenant's bot is in `chatId`; a `not_member` answer refuses the target. */
  probeChat?(tenant: TenantId, chatId: number): Promise<ChatProbeResult>;
}

/** What `update` may change; `null` clears `model` / `agent`. Config-origin schedules take only `paused`. */
export interface SchedulePatch {
  timing?: ScheduleTiming;
  timezone?: string;
  prompt?: string;
  target?: ScheduleTarget;
  model?: string | null;
  agent?: string | null;
  enabled?: boolean;
  paused?: boolean;
}

/**
 * Managing a tenant's schedules (Telegram `/schedule`, `…/v1/schedules/:tenant`): the rules every
 * caller shares. Each change is written to the store first, then to the deployment's trigger
 * (`ScheduleSync`).
 */
export interface ScheduleService {
  list(tenant: TenantId): Promise<ScheduleRecord[]>;
  /** Throws `ScheduleNotFoundError`. */
  get(tenant: TenantId, name: ScheduleName): Promise<ScheduleRecord>;
  /** The checks `create` makes, without writing (a Telegram draft is checked before it is shown). */
  assertCreatable(tenant: TenantId, spec: ScheduleSpec): Promise<void>;
  /** A new runtime schedule; `by` is `tg:<user id>` or the API caller. */
  create(tenant: TenantId, spec: ScheduleSpec, by: string): Promise<ScheduleRecord>;
  /** `expectedVersion`: the version the caller saw (409 when it moved on); none = the latest. */
  update(
    tenant: TenantId,
    name: ScheduleName,
    patch: SchedulePatch,
    by: string,
    expectedVersion?: number,
  ): Promise<ScheduleRecord>;
  setPaused(tenant: TenantId, name: ScheduleName, paused: boolean, by: string): Promise<ScheduleRecord>;
  remove(tenant: TenantId, name: ScheduleName): Promise<void>;
}

/** The sentence every refused change of a config-origin schedule carries. */
export const fromConfigMessage = (name: string): string =>
  `schedule "${name}" is defined in schedules.yaml: change it there (it may only be paused or resumed here)`;

/** A read-modify-write that lost a race with another writer is redone this many times. */
const UPDATE_ATTEMPTS = 3;

export function createScheduleService(deps: ScheduleServiceDeps): ScheduleService {
  const { store, sync, clock } = deps;

  const get = async (tenant: TenantId, name: ScheduleName): Promise<ScheduleRecord> => {
    const record = await store.get(tenant, name);
    if (!record) throw new ScheduleNotFoundError(`no schedule named "${name}" in this tenant`);
    return record;
  };

  const assertAgent = async (tenant: TenantId, agent: string | undefined): Promise<void> => {
    if (agent === undefined) return;
    const known = await deps.agentsOf(tenant);
    if (known.includes(agent)) return;
    const list = known.length > 0 ? `known: ${known.join(', ')}` : 'this tenant has no configured agents';
    throw new InvalidScheduleError(`agent: unknown agent "${agent}" (${list})`);
  };

  const assertReachable = async (tenant: TenantId, chat: number): Promise<void> => {
    if (!deps.probeChat) return;
    if ((await deps.probeChat(tenant, chat)) !== 'not_member') return;
    throw new InvalidScheduleError(
      `target.chat: the bot is not a member of chat ${chat}: add it to the chat first`,
    );
  };

  // Store first, then the trigger. A failed sync does not undo the stored change: the store is the
  // single source every scheduler reads, an undo could fail too, and `omnicloud schedules sync` (or
  // the schedule's next change) brings the trigger in line. The caller learns it as its own error.
  const applied = async (record: ScheduleRecord): Promise<ScheduleRecord> => {
    try {
      await sync.apply(record);
    } catch (err) {
      throw new ScheduleSyncError(syncFailure(record.name, err), { record, cause: err });
    }
    return record;
  };

  const service: ScheduleService = {
    list: (tenant) => store.list(tenant),
    get,

    async assertCreatable(tenant, spec) {
      if (await store.get(tenant, spec.name)) {
        throw new ScheduleConflictError(`a schedule named "${spec.name}" exists already`);
      }
      await assertAgent(tenant, spec.agent);
      await assertReachable(tenant, spec.target.chat);
    },

    async create(tenant, spec, by) {
      const checked = parseScheduleSpec(writtenSpec(spec));
      await service.assertCreatable(tenant, checked);
      const now = clock.now();
      const record: ScheduleRecord = {
        ...checked,
        tenant,
        origin: 'runtime',
        paused: false,
        createdBy: by,
        createdAt: now,
        updatedAt: now,
        version: 0,
      };
      let stored: ScheduleRecord;
      try {
        stored = await store.put(record, 0);
      } catch (err) {
        if (err instanceof ScheduleConflictError) {
          throw new ScheduleConflictError(`a schedule named "${spec.name}" exists already`);
        }
        throw err;
      }
      return applied(stored);
    },

    // `by` is for the caller's log line: a record keeps its creator, not its last editor.
    async update(tenant, name, patch, _by, expectedVersion) {
      for (let attempt = 1; ; attempt++) {
        const current = await get(tenant, name);
        if (expectedVersion !== undefined && current.version !== expectedVersion) {
          throw new ScheduleConflictError(
            `schedule "${name}" is at version ${current.version}, not ${expectedVersion}: read it again`,
          );
        }
        if (Object.values(patch).every((v) => v === undefined)) return current; // nothing to write
        const next = await patched(current, patch);
        try {
          return await applied(await store.put(next, current.version));
        } catch (err) {
          // Only a race we did not promise to detect is redone: with `expectedVersion` it is the answer.
          const retry =
            err instanceof ScheduleConflictError &&
            expectedVersion === undefined &&
            attempt < UPDATE_ATTEMPTS;
          if (!retry) throw err;
        }
      }
    },

    setPaused: (tenant, name, paused, by) => service.update(tenant, name, { paused }, by),

    async remove(tenant, name) {
      const current = await get(tenant, name);
      if (current.origin === 'config') throw new ScheduleFromConfigError(fromConfigMessage(name));
      if (!(await store.remove(tenant, name))) {
        throw new ScheduleNotFoundError(`no schedule named "${name}" in this tenant`);
      }
      try {
        await sync.remove(tenant, name);
      } catch (err) {
        throw new ScheduleSyncError(syncFailure(name, err), { cause: err });
      }
    },
  };

  /** `current` with the patch applied and checked (the one schema, the agent, the target's chat). */
  async function patched(current: ScheduleRecord, patch: SchedulePatch): Promise<ScheduleRecord> {
    const changes = Object.keys(patch).filter((k) => patch[k as keyof SchedulePatch] !== undefined);
    if (current.origin === 'config' && changes.some((k) => k !== 'paused')) {
      throw new ScheduleFromConfigError(fromConfigMessage(current.name));
    }
    const { model, agent, paused, ...spec } = patch;
    const merged: ScheduleSpec = { ...current, ...stripUndefined(spec) };
    if (model === null) delete merged.model;
    else if (model !== undefined) merged.model = model;
    if (agent === null) delete merged.agent;
    else if (agent !== undefined) merged.agent = agent;
    const checked = parseScheduleSpec(writtenSpec(merged));
    if (agent) await assertAgent(current.tenant, checked.agent);
    const chatChanged = checked.target.chat !== current.target.chat;
    if (chatChanged) await assertReachable(current.tenant, checked.target.chat);
    // The store keeps a recorded topic across puts: it would point into the old chat.
    if (chatChanged && current.topic !== undefined && checked.target.thread === 'new') {
      throw new InvalidScheduleError(
        `target.chat: "${current.name}" already has its own topic in chat ${current.target.chat}: ` +
          'remove the schedule and add it again to move it',
      );
    }
    const { model: _model, agent: _agent, ...base } = current;
    return {
      ...base,
      ...checked,
      paused: paused ?? current.paused,
      updatedAt: clock.now(),
    };
  }

  return service;
}

function syncFailure(name: string, err: unknown): string {
  return (
    `[schedules] "${name}" was saved, but its trigger could not be updated (${errorMessage(err)}): ` +
    'run `omnicloud schedules sync` to bring the triggers in line'
  );
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
