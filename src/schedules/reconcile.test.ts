import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { parseTenantId, type TenantId } from '../core/ids.js';
import { reconcileConfigSchedules, type ReconcileSummary } from './reconcile.js';
import { parseScheduleSpec } from './spec.js';
import { createMemoryScheduleStore } from './store/memory.js';
import type { ScheduleSync } from './sync.js';
import type { ScheduleName, ScheduleRecord, ScheduleSpec, ScheduleStore } from './types.js';

const tenant = parseTenantId('acme');
const other = parseTenantId('globex');
const T0 = Date.UTC(2026, 11, 1, 8);

const spec = (name: string, over: Record<string, unknown> = {}): ScheduleSpec =>
  parseScheduleSpec({ name, every: '1h', prompt: `run ${name}`, target: { chat: 42 }, ...over });

/** A sync that records its calls (and fails for the names in `failing`). */
function recordingSync(failing: string[] = []) {
  const calls: string[] = [];
  const sync: ScheduleSync = {
    kind: 'eventbridge',
    async apply(record) {
      calls.push(`apply ${record.name} v${record.version}`);
      if (failing.includes(record.name)) throw new Error('throttled');
    },
    async remove(t, name) {
      calls.push(`remove ${t}/${name}`);
    },
  };
  return { sync, calls };
}

function runtimeRecord(name: string, t: TenantId = tenant): ScheduleRecord {
  return {
    ...spec(name),
    tenant: t,
    origin: 'runtime',
    paused: false,
    createdBy: 'tg:7',
    createdAt: T0 - 1000,
    updatedAt: T0 - 1000,
    version: 0,
  };
}

const EMPTY: ReconcileSummary = {
  created: [],
  updated: [],
  removed: [],
  unchanged: [],
  conflicts: [],
  syncFailures: [],
};

describe('reconcileConfigSchedules', () => {
  let store: ScheduleStore;
  let clock: ManualClock;
  beforeEach(() => {
    store = createMemoryScheduleStore();
    clock = new ManualClock(T0);
  });
  const run = (specs: ScheduleSpec[], sync: ScheduleSync, t: TenantId = tenant) =>
    reconcileConfigSchedules({ tenant: t, specs, store, sync, clock });

  it('creates the file entries as config records and applies each', async () => {
    const { sync, calls } = recordingSync();
    const summary = await run([spec('a'), spec('b', { cron: '0 9 * * *', every: undefined })], sync);
    expect(summary).toEqual({ ...EMPTY, created: ['a', 'b'] });
    expect(calls).toEqual(['apply a v1', 'apply b v1']);
    expect(await store.get(tenant, 'a' as ScheduleName)).toEqual({
      ...spec('a'),
      tenant,
      origin: 'config',
      paused: false,
      createdBy: 'config',
      createdAt: T0,
      updatedAt: T0,
      version: 1,
    });
  });

  it('is idempotent: a second run changes nothing and calls no sync', async () => {
    await run([spec('a'), spec('b')], recordingSync().sync);
    const before = await store.list(tenant);
    clock.advance(60_000);
    const { sync, calls } = recordingSync();
    expect(await run([spec('a'), spec('b')], sync)).toEqual({ ...EMPTY, unchanged: ['a', 'b'] });
    expect(calls).toEqual([]);
    expect(await store.list(tenant)).toEqual(before);
  });

  it('updates a changed entry, keeping paused, topic, createdAt and the bookmark', async () => {
    await run([spec('a', { target: { chat: 42, thread: 'new' } })], recordingSync().sync);
    await store.put({ ...(await store.get(tenant, 'a' as ScheduleName))!, paused: true });
    await store.setTopic(tenant, 'a' as ScheduleName, 812);
    await store.markDue(tenant, 'a' as ScheduleName, T0 + 3_600_000);
    clock.set(T0 + 7_200_000);
    const { sync, calls } = recordingSync();
    const changed = spec('a', { prompt: 'new words', model: 'opus', target: { chat: 42, thread: 'new' } });
    expect(await run([changed], sync)).toEqual({ ...EMPTY, updated: ['a'] });
    expect(calls).toEqual(['apply a v3']);
    expect(await store.get(tenant, 'a' as ScheduleName)).toEqual({
      ...changed,
      tenant,
      origin: 'config',
      paused: true,
      createdBy: 'config',
      createdAt: T0,
      updatedAt: T0 + 7_200_000,
      version: 3,
      topic: 812,
      lastDueAt: T0 + 3_600_000,
    });
  });

  it('drops a field the file no longer sets', async () => {
    await run([spec('a', { model: 'opus', agent: 'aws-support' })], recordingSync().sync);
    await run([spec('a')], recordingSync().sync);
    const stored = await store.get(tenant, 'a' as ScheduleName);
    expect(stored).not.toHaveProperty('model');
    expect(stored).not.toHaveProperty('agent');
  });

  it('moves the bookmark to now when the timing changes (a new timing counts from the change)', async () => {
    await run([spec('a')], recordingSync().sync);
    await store.markDue(tenant, 'a' as ScheduleName, T0);
    clock.set(T0 + 1_800_000);
    await run([spec('a', { every: '2h' })], recordingSync().sync);
    expect((await store.get(tenant, 'a' as ScheduleName))?.lastDueAt).toBe(T0 + 1_800_000);
    clock.set(T0 + 3_600_000);
    await run([spec('a', { every: '2h', timezone: 'Europe/Berlin' })], recordingSync().sync);
    expect((await store.get(tenant, 'a' as ScheduleName))?.lastDueAt).toBe(T0 + 3_600_000);
  });

  it('forgets the topic when the target chat changes (it belongs to the old chat)', async () => {
    await run([spec('a', { target: { chat: 42, thread: 'new' } })], recordingSync().sync);
    await store.setTopic(tenant, 'a' as ScheduleName, 812);
    await store.markDue(tenant, 'a' as ScheduleName, T0);
    const { sync, calls } = recordingSync();
    expect(await run([spec('a', { target: { chat: 43, thread: 'new' } })], sync)).toEqual({
      ...EMPTY,
      updated: ['a'],
    });
    const stored = await store.get(tenant, 'a' as ScheduleName);
    expect(stored).not.toHaveProperty('topic');
    expect(stored).toMatchObject({ target: { chat: 43, thread: 'new' }, createdAt: T0, lastDueAt: T0 });
    expect(calls).toEqual(['apply a v1']);
  });

  it('removes config records the file no longer has, and only those of this tenant', async () => {
    await run([spec('a'), spec('b')], recordingSync().sync);
    await run([spec('b')], recordingSync().sync, other);
    const { sync, calls } = recordingSync();
    expect(await run([spec('b')], sync)).toEqual({ ...EMPTY, removed: ['a'], unchanged: ['b'] });
    expect(calls).toEqual(['remove acme/a']);
    expect((await store.list(tenant)).map((r) => r.name)).toEqual(['b']);
    expect((await store.list(other)).map((r) => r.name)).toEqual(['b']);
  });

  it('never touches runtime records; a file entry with a runtime name is a conflict', async () => {
    await store.put(runtimeRecord('mine'), 0);
    await store.put(runtimeRecord('kept'), 0);
    const { sync, calls } = recordingSync();
    const summary = await run([spec('mine', { prompt: 'from the file' }), spec('a')], sync);
    expect(summary).toEqual({
      ...EMPTY,
      created: ['a'],
      conflicts: [
        {
          name: 'mine',
          reason:
            '"mine" is a schedule created by tg:7 (not from schedules.yaml): rename the file\'s entry or remove that schedule',
        },
      ],
    });
    expect(calls).toEqual(['apply a v1']);
    expect(await store.get(tenant, 'mine' as ScheduleName)).toMatchObject({
      origin: 'runtime',
      prompt: 'run mine',
    });
    // An empty file removes config records only.
    await run([], recordingSync().sync);
    expect((await store.list(tenant)).map((r) => r.name)).toEqual(['kept', 'mine']);
  });

  it('retries a put that lost a race to a concurrent change', async () => {
    await run([spec('a')], recordingSync().sync);
    let raced = false;
    const racing: ScheduleStore = {
      ...store,
      async put(record, expected) {
        if (!raced) {
          raced = true; // someone pauses it between our read and our write
          await store.put({ ...(await store.get(tenant, record.name))!, paused: true });
        }
        return store.put(record, expected);
      },
    };
    const summary = await reconcileConfigSchedules({
      tenant,
      specs: [spec('a', { prompt: 'changed' })],
      store: racing,
      sync: recordingSync().sync,
      clock,
    });
    expect(summary.updated).toEqual(['a']);
    expect(await store.get(tenant, 'a' as ScheduleName)).toMatchObject({ prompt: 'changed', paused: true });
  });

  it('reports a failed sync and carries on with the others', async () => {
    const { sync, calls } = recordingSync(['a']);
    const summary = await run([spec('a'), spec('b')], sync);
    expect(summary).toEqual({
      ...EMPTY,
      created: ['a', 'b'],
      syncFailures: [{ name: 'a', reason: 'throttled' }],
    });
    expect(calls).toEqual(['apply a v1', 'apply b v1']);
  });

  it('reports the per-tenant limit as a conflict', async () => {
    for (let i = 0; i < 100; i++) await store.put(runtimeRecord(`r${i}`), 0);
    const summary = await run([spec('a')], recordingSync().sync);
    expect(summary.conflicts).toEqual([
      { name: 'a', reason: expect.stringMatching(/at most 100 schedules/) },
    ]);
  });
});
