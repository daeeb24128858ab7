import { describe, expect, it } from 'vitest';
import type { ScheduleHarness } from '../conformance.js';
import { START, TENANT_A, scheduleName, scheduleRecord, useScheduleSubject, without } from './fixtures.js';

/** `setTopic` (first writer wins) and `markDue` (only forward). */
export function topicDueTests(harness: ScheduleHarness): void {
  describe('schedule topic and due bookmark', () => {
    const subject = useScheduleSubject(harness);

    it('records the first topic and returns it to every later caller', async () => {
      const s = subject();
      const name = scheduleName('own-topic');
      await s.schedules.put(scheduleRecord('own-topic'));
      expect(await s.schedules.setTopic(TENANT_A, name, 812)).toBe(812);
      expect(await s.schedules.setTopic(TENANT_A, name, 813)).toBe(812);
      const stored = await s.schedules.get(TENANT_A, name);
      expect(stored).toMatchObject({ topic: 812, version: 1, updatedAt: START });
      expect(await s.raw.readSchedule(TENANT_A, name)).toEqual(stored);
      expect(await s.schedules.setTopic(TENANT_A, scheduleName('unknown'), 5)).toBeNull();
      expect(await s.raw.readSchedule(TENANT_A, 'unknown')).toBeNull();
    });

    it('lets exactly one of concurrent setTopic calls win, and all of them see its topic', async () => {
      const s = subject();
      const name = scheduleName('racing-topic');
      await s.schedules.put(scheduleRecord('racing-topic'));
      const topics = Array.from({ length: 10 }, (_, i) => 1000 + i);
      const seen = await Promise.all(topics.map((t) => s.schedules.setTopic(TENANT_A, name, t)));
      const winner = seen[0];
      expect(topics).toContain(winner);
      expect(seen.every((t) => t === winner)).toBe(true);
      expect((await s.raw.readSchedule(TENANT_A, name))?.topic).toBe(winner);
    });

    it('moves lastDueAt forward only, and never creates a schedule', async () => {
      const s = subject();
      const name = scheduleName('bookmark');
      await s.schedules.put(without(scheduleRecord('bookmark'), 'lastDueAt'));
      await s.schedules.markDue(TENANT_A, name, START + 10 * 60_000);
      expect((await s.schedules.get(TENANT_A, name))?.lastDueAt).toBe(START + 10 * 60_000);
      await s.schedules.markDue(TENANT_A, name, START + 5 * 60_000);
      await s.schedules.markDue(TENANT_A, name, START + 10 * 60_000);
      expect((await s.raw.readSchedule(TENANT_A, name))?.lastDueAt).toBe(START + 10 * 60_000);
      await Promise.all(
        [3, 9, 15, 12, 1].map((m) => s.schedules.markDue(TENANT_A, name, START + m * 60 * 60_000)),
      );
      const stored = await s.schedules.get(TENANT_A, name);
      expect(stored).toMatchObject({ lastDueAt: START + 15 * 60 * 60_000, version: 1 });
      expect(await s.raw.readSchedule(TENANT_A, name)).toEqual(stored);

      await s.schedules.markDue(TENANT_A, scheduleName('unknown'), START);
      expect(await s.raw.readSchedule(TENANT_A, 'unknown')).toBeNull();
    });
  });
}
