import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import {
  InvalidScheduleError,
  ScheduleConflictError,
  ScheduleFromConfigError,
  ScheduleNotFoundError,
  ScheduleSyncError,
} from './errors.js';
import { createScheduleService, type ChatProbeResult, type ScheduleService } from './service.js';
import { parseScheduleSpec } from './spec.js';
import { createMemoryScheduleStore } from './store/memory.js';
import type { ScheduleSync } from './sync.js';
import type { ScheduleName, ScheduleRecord, ScheduleStore } from './types.js';

const ACME = 'acme' as TenantId;
const OTHER = 'other' as TenantId;
const CHAT = -1001234567890;
const n = (name: string) => name as ScheduleName;

const spec = (over: Record<string, unknown> = {}) =>
  parseScheduleSpec({
    name: 'alarms',
    every: '15m',
    prompt: 'Check the alarms',
    target: { chat: CHAT },
    ...over,
  });

let store: ScheduleStore;
let clock: ManualClock;
let synced: string[];
let failSync: boolean;
let probe: ChatProbeResult;
let service: ScheduleService;

const recordingSync: ScheduleSync = {
  kind: 'eventbridge',
  async apply(r) {
    if (failSync) throw new Error('scheduler unreachable');
    synced.push(`apply ${r.name} v${r.version} ${r.paused ? 'paused' : 'active'}`);
  },
  async remove(_tenant, name) {
    if (failSync) throw new Error('scheduler unreachable');
    synced.push(`remove ${name}`);
  },
};

beforeEach(() => {
  store = createMemoryScheduleStore();
  clock = new ManualClock(Date.UTC(2026, 11, 2, 8, 0));
  synced = [];
  failSync = false;
  probe = 'ok';
  service = createScheduleService({
    store,
    sync: recordingSync,
    clock,
    agentsOf: () => ['aws-support'],
    probeChat: async () => probe,
  });
});

/** A schedule as `schedules.yaml` put it (the config sync's job, here written directly). */
async function configSchedule(): Promise<ScheduleRecord> {
  const now = clock.now();
  return store.put(
    {
      ...spec({ name: 'nightly', cron: '0 3 * * *', every: undefined }),
      tenant: ACME,
      origin: 'config',
      paused: false,
      createdBy: 'config',
      createdAt: now,
      updatedAt: now,
      version: 0,
    },
    0,
  );
}

describe('create', () => {
  it('stores a runtime schedule at version 1, then applies it to the trigger', async () => {
    const r = await service.create(ACME, spec({ agent: 'aws-support' }), 'tg:111');
    expect(r).toMatchObject({
      name: 'alarms',
      tenant: ACME,
      origin: 'runtime',
      paused: false,
      enabled: true,
      createdBy: 'tg:111',
      createdAt: clock.now(),
      version: 1,
      agent: 'aws-support',
    });
    expect(await store.get(ACME, n('alarms'))).toEqual(r);
    expect(synced).toEqual(['apply alarms v1 active']);
  });

  it('refuses an existing name (409) and writes nothing', async () => {
    await service.create(ACME, spec(), 'tg:1');
    await expect(service.create(ACME, spec({ prompt: 'other' }), 'tg:2')).rejects.toThrow(
      new ScheduleConflictError('a schedule named "alarms" exists already'),
    );
    expect((await store.get(ACME, n('alarms')))?.prompt).toBe('Check the alarms');
    expect(synced).toHaveLength(1);
  });

  it('keeps tenants apart: the same name in another tenant is another schedule', async () => {
    await service.create(ACME, spec(), 'tg:1');
    await service.create(OTHER, spec(), 'tg:1');
    expect((await service.list(OTHER)).map((r) => r.tenant)).toEqual([OTHER]);
  });

  it('refuses an unknown agent, naming the field and the known ones', async () => {
    const err = await service.create(ACME, spec({ agent: 'nope' }), 'tg:1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidScheduleError);
    expect((err as Error).message).toBe('agent: unknown agent "nope" (known: aws-support)');
    expect(await store.list(ACME)).toEqual([]);
  });

  it('refuses a target chat the bot is not in, but not one it could not check', async () => {
    probe = 'not_member';
    await expect(service.create(ACME, spec(), 'tg:1')).rejects.toThrow(
      /target\.chat: the bot is not a member/,
    );
    probe = 'unknown';
    await expect(service.create(ACME, spec(), 'tg:1')).resolves.toMatchObject({ version: 1 });
  });

  it('re-checks the spec through the one schema (a hand-built spec cannot bypass it)', async () => {
    const bad = { ...spec(), timing: { type: 'rate' as const, every: 1, unit: 'minutes' as const } };
    await expect(service.create(ACME, bad, 'tg:1')).rejects.toThrow(/every: runs at most every 5 minutes/);
  });

  it('keeps the record when the trigger fails, and says so', async () => {
    failSync = true;
    const err = await service.create(ACME, spec(), 'tg:1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScheduleSyncError);
    expect((err as ScheduleSyncError).message).toMatch(
      /"alarms" was saved, but its trigger could not be updated \(scheduler unreachable\): run `omnicloud schedules sync`/,
    );
    expect((err as ScheduleSyncError).record?.version).toBe(1);
    expect(await store.get(ACME, n('alarms'))).not.toBeNull();
  });
});

describe('update', () => {
  it('changes a runtime schedule: timing, zone, prompt, target, model, agent, enabled', async () => {
    await service.create(ACME, spec({ model: 'haiku' }), 'tg:1');
    clock.advance(60_000);
    const r = await service.update(
      ACME,
      n('alarms'),
      {
        timing: { type: 'cron', expression: '0 9 * * 1-5' },
        timezone: 'Europe/Berlin',
        prompt: 'Morning summary',
        target: { chat: CHAT, thread: 'new' },
        model: null,
        agent: 'aws-support',
        enabled: false,
      },
      'token:ops',
    );
    expect(r).toMatchObject({
      timing: { type: 'cron', expression: '0 9 * * 1-5' },
      timezone: 'Europe/Berlin',
      prompt: 'Morning summary',
      target: { chat: CHAT, thread: 'new' },
      agent: 'aws-support',
      enabled: false,
      version: 2,
      updatedAt: clock.now(),
      createdBy: 'tg:1',
    });
    expect(r.model).toBeUndefined();
    expect(synced.at(-1)).toBe('apply alarms v2 active');
  });

  it('answers 409 when If-Match names another version, and writes nothing', async () => {
    await service.create(ACME, spec(), 'tg:1');
    await expect(service.update(ACME, n('alarms'), { prompt: 'x' }, 'tg:1', 7)).rejects.toThrow(
      ScheduleConflictError,
    );
    await expect(service.update(ACME, n('alarms'), { prompt: 'x' }, 'tg:1', 1)).resolves.toMatchObject({
      version: 2,
    });
  });

  it('refuses an invalid change naming the field (cron more often than 5 minutes, unknown zone)', async () => {
    await service.create(ACME, spec(), 'tg:1');
    await expect(
      service.update(ACME, n('alarms'), { timing: { type: 'cron', expression: '*/2 * * * *' } }, 'tg:1'),
    ).rejects.toThrow(/^cron: .*more often than every 5 minutes/);
    await expect(service.update(ACME, n('alarms'), { timezone: 'Mars/Olympus' }, 'tg:1')).rejects.toThrow(
      /^timezone: unknown time zone/,
    );
    expect((await store.get(ACME, n('alarms')))?.version).toBe(1);
  });

  it('probes a new target chat, and refuses moving a schedule whose own topic exists', async () => {
    await service.create(ACME, spec({ target: { chat: CHAT, thread: 'new' } }), 'tg:1');
    probe = 'not_member';
    await expect(service.update(ACME, n('alarms'), { target: { chat: -100777 } }, 'tg:1')).rejects.toThrow(
      /not a member of chat -100777/,
    );
    probe = 'ok';
    await store.setTopic(ACME, n('alarms'), 42);
    await expect(
      service.update(ACME, n('alarms'), { target: { chat: -100777, thread: 'new' } }, 'tg:1'),
    ).rejects.toThrow(/already has its own topic/);
  });

  it('lets a config schedule only be paused and resumed', async () => {
    await configSchedule();
    await expect(service.update(ACME, n('nightly'), { prompt: 'x' }, 'tg:1')).rejects.toThrow(
      new ScheduleFromConfigError(
        'schedule "nightly" is defined in schedules.yaml: change it there (it may only be paused or resumed here)',
      ),
    );
    expect(await service.setPaused(ACME, n('nightly'), true, 'tg:1')).toMatchObject({
      paused: true,
      version: 2,
    });
    expect(await service.setPaused(ACME, n('nightly'), false, 'tg:1')).toMatchObject({
      paused: false,
      version: 3,
    });
    expect(synced).toEqual(['apply nightly v2 paused', 'apply nightly v3 active']);
  });

  it('is a 404 for an unknown name', async () => {
    await expect(service.setPaused(ACME, n('ghost'), true, 'tg:1')).rejects.toThrow(ScheduleNotFoundError);
    await expect(service.get(ACME, n('ghost'))).rejects.toThrow('no schedule named "ghost" in this tenant');
  });

  it('redoes a read-modify-write that raced another writer when no version was asked for', async () => {
    await service.create(ACME, spec(), 'tg:1');
    let raced = false;
    const racing: ScheduleStore = {
      ...store,
      async put(record, expected) {
        if (!raced) {
          raced = true;
          const current = await store.get(ACME, n('alarms'));
          await store.put({ ...current!, prompt: 'written meanwhile' }, current!.version);
        }
        return store.put(record, expected);
      },
    };
    const s = createScheduleService({ store: racing, sync: recordingSync, clock, agentsOf: () => [] });
    const r = await s.setPaused(ACME, n('alarms'), true, 'tg:1');
    expect(r).toMatchObject({ paused: true, prompt: 'written meanwhile', version: 3 });
  });
});

describe('remove', () => {
  it('deletes a runtime schedule and its trigger', async () => {
    await service.create(ACME, spec(), 'tg:1');
    await service.remove(ACME, n('alarms'));
    expect(await store.get(ACME, n('alarms'))).toBeNull();
    expect(synced.at(-1)).toBe('remove alarms');
    await expect(service.remove(ACME, n('alarms'))).rejects.toThrow(ScheduleNotFoundError);
  });

  it('refuses a config schedule with the hint', async () => {
    await configSchedule();
    await expect(service.remove(ACME, n('nightly'))).rejects.toThrow(
      /defined in schedules.yaml: change it there/,
    );
    expect(await store.get(ACME, n('nightly'))).not.toBeNull();
  });

  it('stays removed when the trigger could not be deleted', async () => {
    await service.create(ACME, spec(), 'tg:1');
    failSync = true;
    await expect(service.remove(ACME, n('alarms'))).rejects.toThrow(ScheduleSyncError);
    expect(await store.get(ACME, n('alarms'))).toBeNull();
  });
});

describe('an empty change', () => {
  it('writes nothing and leaves the version', async () => {
    await service.create(ACME, spec(), 'tg:1');
    expect(await service.update(ACME, n('alarms'), {}, 'tg:1')).toMatchObject({ version: 1 });
    expect(synced).toHaveLength(1);
  });
});
