import { describe, expect, it } from 'vitest';
import { MAX_SCHEDULES_PER_TENANT, type ScheduleRecord } from '../../types.js';
import type { ScheduleHarness } from '../conformance.js';
import {
  START,
  TENANT_A,
  TENANT_B,
  scheduleName,
  scheduleRecord,
  useScheduleSubject,
  without,
} from './fixtures.js';

const VARIANTS: Array<[string, ScheduleRecord]> = [
  ['cron, thread new, model and agent', scheduleRecord('morning-alarms')],
  [
    'rate in minutes, an existing topic, paused config schedule',
    scheduleRecord('every-30m', {
      timing: { type: 'rate', every: 30, unit: 'minutes' },
      timezone: 'UTC',
      target: { chat: 123456789, thread: 812 },
      origin: 'config',
      createdBy: 'config',
      paused: true,
      enabled: false,
    }),
  ],
  [
    'rate in hours, the chat itself, no model or agent',
    without(
      scheduleRecord('hourly_check', {
        timing: { type: 'rate', every: 2, unit: 'hours' },
        target: { chat: -42 },
      }),
      'model',
      'agent',
    ),
  ],
  [
    'rate in days, with topic and lastDueAt given',
    scheduleRecord('daily', {
      timing: { type: 'rate', every: 1, unit: 'days' },
      target: { chat: 7, thread: 'new' },
      topic: 99,
      lastDueAt: START - 60_000,
    }),
  ],
];

/** Create/get/list/remove: every field round-trips, lists are sorted and per tenant. */
export function recordTests(harness: ScheduleHarness): void {
  describe('schedule records', () => {
    const subject = useScheduleSubject(harness);

    it.each(VARIANTS)('round-trips every field: %s', async (_, record) => {
      const s = subject();
      const stored = await s.schedules.put(structuredClone(record));
      const want = { ...record, version: 1 };
      expect(stored).toEqual(want);
      const read = await s.schedules.get(TENANT_A, record.name);
      expect(read).toEqual(want);
      expect(Object.keys(read ?? {}).sort()).toEqual(Object.keys(want).sort());
      expect(await s.raw.readSchedule(TENANT_A, record.name)).toEqual(want);
      expect(await s.schedules.list(TENANT_A)).toEqual([want]);
    });

    it('returns null for an unknown name and an empty list for an unknown tenant', async () => {
      const s = subject();
      expect(await s.schedules.get(TENANT_A, scheduleName('nope'))).toBeNull();
      expect(await s.schedules.list(TENANT_B)).toEqual([]);
    });

    it('does not alias the caller’s object or the returned one', async () => {
      const s = subject();
      const record = scheduleRecord('alias');
      const stored = await s.schedules.put(record);
      record.prompt = 'changed after put';
      record.target.chat = 1;
      stored.prompt = 'changed after return';
      const read = await s.schedules.get(TENANT_A, record.name);
      expect(read?.prompt).toBe(scheduleRecord('alias').prompt);
      expect(read?.target.chat).toBe(-1001234567890);
    });

    it('lists by name, and tenant B never sees tenant A’s schedules', async () => {
      const s = subject();
      const names = ['zeta', 'alpha-2', 'alpha', '0-first', 'alpha_b', 'm'];
      for (const name of names) await s.schedules.put(scheduleRecord(name));
      await s.schedules.put(scheduleRecord('b-only', {}, TENANT_B));
      const listed = await s.schedules.list(TENANT_A);
      expect(listed.map((r) => r.name)).toEqual([...names].sort());
      expect(listed.every((r) => r.tenant === TENANT_A)).toBe(true);
      expect((await s.schedules.list(TENANT_B)).map((r) => r.name)).toEqual(['b-only']);
      expect(await s.schedules.get(TENANT_B, scheduleName('alpha'))).toBeNull();
      expect(await s.schedules.remove(TENANT_B, scheduleName('alpha'))).toBe(false);
      expect(await s.schedules.setTopic(TENANT_B, scheduleName('alpha'), 5)).toBeNull();
      await s.schedules.markDue(TENANT_B, scheduleName('alpha'), START);
      expect(await s.raw.readSchedule(TENANT_B, 'alpha')).toBeNull();
      expect(await s.raw.readSchedule(TENANT_A, 'alpha')).toEqual({ ...scheduleRecord('alpha'), version: 1 });
    });

    it('lists more schedules than one page of a backend holds', async () => {
      const s = subject();
      // 4000 three-byte characters make each DynamoDB item ~12 KB: 100 of them need more than one
      // 1 MB Query page.
      const prompt = '€'.repeat(4000);
      const names = Array.from(
        { length: MAX_SCHEDULES_PER_TENANT },
        (_, i) => `s${String(i).padStart(3, '0')}`,
      );
      for (let i = 0; i < names.length; i += 20)
        await Promise.all(names.slice(i, i + 20).map((n) => s.schedules.put(scheduleRecord(n, { prompt }))));
      const listed = await s.schedules.list(TENANT_A);
      expect(listed.map((r) => r.name)).toEqual(names);
      expect(listed.every((r) => r.prompt === prompt)).toBe(true);
    }, 60_000);

    it('removes a schedule: true when it existed, then false; other schedules stay', async () => {
      const s = subject();
      await s.schedules.put(scheduleRecord('keep'));
      await s.schedules.put(scheduleRecord('gone'));
      expect(await s.schedules.remove(TENANT_A, scheduleName('gone'))).toBe(true);
      expect(await s.schedules.get(TENANT_A, scheduleName('gone'))).toBeNull();
      expect(await s.raw.readSchedule(TENANT_A, 'gone')).toBeNull();
      expect(await s.schedules.remove(TENANT_A, scheduleName('gone'))).toBe(false);
      expect((await s.schedules.list(TENANT_A)).map((r) => r.name)).toEqual(['keep']);
      // A removed name can be created again, from version 1.
      expect((await s.schedules.put(scheduleRecord('gone'), 0)).version).toBe(1);
    });
  });
}
