import { describe, expect, it } from 'vitest';
import { ScheduleConflictError, ScheduleLimitError } from '../../errors.js';
import { MAX_SCHEDULES_PER_TENANT } from '../../types.js';
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

/** `put`'s optimistic concurrency, the per-tenant limit and the fields a replace keeps. */
export function versionTests(harness: ScheduleHarness): void {
  describe('schedule versions and limits', () => {
    const subject = useScheduleSubject(harness);

    it('expectedVersion 0 creates only; n must match; undefined replaces any', async () => {
      const s = subject();
      const name = scheduleName('nightly');
      expect((await s.schedules.put(scheduleRecord('nightly'), 0)).version).toBe(1);
      const err = await s.schedules.put(scheduleRecord('nightly', { prompt: 'again' }), 0).catch((e) => e);
      expect(err).toBeInstanceOf(ScheduleConflictError);
      expect((err as ScheduleConflictError).code).toBe('schedule_conflict');
      expect((err as Error).message).toMatch(/nightly is at version 1, not 0/);

      const second = await s.schedules.put(
        scheduleRecord('nightly', { prompt: 'v2', updatedAt: START + 1 }),
        1,
      );
      expect(second).toMatchObject({ version: 2, prompt: 'v2', updatedAt: START + 1 });
      await expect(s.schedules.put(scheduleRecord('nightly', { prompt: 'stale' }), 1)).rejects.toBeInstanceOf(
        ScheduleConflictError,
      );
      await expect(s.schedules.put(scheduleRecord('nightly', { prompt: 'ahead' }), 5)).rejects.toBeInstanceOf(
        ScheduleConflictError,
      );
      expect((await s.schedules.put(scheduleRecord('nightly', { prompt: 'v3' }))).version).toBe(3);
      const stored = await s.schedules.get(TENANT_A, name);
      expect(stored).toMatchObject({ version: 3, prompt: 'v3' });
      expect(await s.raw.readSchedule(TENANT_A, name)).toEqual(stored);

      // A version given for a name that does not exist is a conflict too (it is at version 0).
      await expect(s.schedules.put(scheduleRecord('absent'), 1)).rejects.toThrow(
        /absent is at version 0, not 1/,
      );
      expect(await s.raw.readSchedule(TENANT_A, 'absent')).toBeNull();
      // The input's own `version` is ignored.
      expect((await s.schedules.put(scheduleRecord('fresh', { version: 41 }))).version).toBe(1);
    });

    it('lets exactly one of concurrent puts at the same version win', async () => {
      const s = subject();
      await s.schedules.put(scheduleRecord('contested'), 0);
      const prompts = Array.from({ length: 6 }, (_, i) => `variant ${i}`);
      const results = await Promise.allSettled(
        prompts.map((prompt) => s.schedules.put(scheduleRecord('contested', { prompt }), 1)),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [prompts[i]] : []));
      expect(won).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ScheduleConflictError);
      expect(await s.raw.readSchedule(TENANT_A, 'contested')).toMatchObject({ version: 2, prompt: won[0] });

      const creates = await Promise.allSettled(
        prompts.map((prompt) => s.schedules.put(scheduleRecord('created', { prompt }), 0)),
      );
      expect(creates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await s.schedules.get(TENANT_A, scheduleName('created')))?.version).toBe(1);
    });

    it(`refuses a new schedule past ${MAX_SCHEDULES_PER_TENANT} per tenant, but not a replace or another tenant`, async () => {
      const s = subject();
      const names = Array.from({ length: MAX_SCHEDULES_PER_TENANT }, (_, i) => `n${i}`);
      for (let i = 0; i < names.length; i += 20)
        await Promise.all(names.slice(i, i + 20).map((n) => s.schedules.put(scheduleRecord(n), 0)));
      const err = await s.schedules.put(scheduleRecord('one-more')).catch((e) => e);
      expect(err).toBeInstanceOf(ScheduleLimitError);
      expect((err as ScheduleLimitError).code).toBe('schedule_limit');
      expect((err as Error).message).toMatch(/at most 100 schedules/);
      expect(await s.raw.readSchedule(TENANT_A, 'one-more')).toBeNull();
      expect((await s.schedules.put(scheduleRecord('n7', { prompt: 'replaced' }))).version).toBe(2);
      expect((await s.schedules.put(scheduleRecord('one-more', {}, TENANT_B))).version).toBe(1);
      // Removing one makes room for exactly one.
      await s.schedules.remove(TENANT_A, scheduleName('n0'));
      const racers = ['r1', 'r2', 'r3', 'r4'];
      const results = await Promise.allSettled(racers.map((n) => s.schedules.put(scheduleRecord(n))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ScheduleLimitError);
      expect(await s.schedules.list(TENANT_A)).toHaveLength(MAX_SCHEDULES_PER_TENANT);
    }, 60_000);

    it('keeps the stored topic and lastDueAt when the new record has none, takes new ones when given', async () => {
      const s = subject();
      const name = scheduleName('kept');
      await s.schedules.put(without(scheduleRecord('kept'), 'model', 'agent'));
      expect(await s.schedules.setTopic(TENANT_A, name, 812)).toBe(812);
      await s.schedules.markDue(TENANT_A, name, START + 5 * 60_000);

      const edited = await s.schedules.put(scheduleRecord('kept', { prompt: 'edited', model: 'opus' }), 1);
      expect(edited).toMatchObject({
        version: 2,
        prompt: 'edited',
        model: 'opus',
        topic: 812,
        lastDueAt: START + 5 * 60_000,
      });
      expect(await s.raw.readSchedule(TENANT_A, name)).toEqual(edited);

      // Optional spec fields absent from the new record are gone (they are not bookkeeping).
      const plain = await s.schedules.put(without(scheduleRecord('kept'), 'model', 'agent'));
      expect(plain.model).toBeUndefined();
      expect(plain.agent).toBeUndefined();
      expect(plain.topic).toBe(812);
      expect(await s.raw.readSchedule(TENANT_A, name)).toEqual(plain);

      const moved = await s.schedules.put(
        scheduleRecord('kept', { topic: 900, lastDueAt: START + 60 * 60_000 }),
      );
      expect(moved).toMatchObject({ topic: 900, lastDueAt: START + 60 * 60_000, version: 4 });
      expect(await s.schedules.get(TENANT_A, name)).toEqual(moved);
    });
  });
}
