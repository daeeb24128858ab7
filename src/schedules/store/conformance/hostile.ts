import { describe, expect, it } from 'vitest';
import { InvalidIdError } from '../../../core/errors.js';
import { InvalidClaimError, InvalidScheduleError } from '../../errors.js';
import type { ScheduleRecord } from '../../types.js';
import type { ScheduleHarness } from '../conformance.js';
import { MINUTE, START, TENANT_A, scheduleName, scheduleRecord, useScheduleSubject } from './fixtures.js';

const BAD_KEYS = [
  '../x',
  'k'.repeat(201),
  'has space',
  'nul\u0000byte',
  '',
  'a/b',
  'ü',
  42 as unknown as string,
];
const BAD_TENANTS = ['../x', 'ACME', '', 'a'.repeat(40), 'acme\u0000', 7 as unknown as string];
const BAD_TTLS = [0, 999, 1500.5, -MINUTE, Number.NaN, Number.POSITIVE_INFINITY, 401 * 86_400_000];
const BAD_LIMITS = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY];

const BAD_RECORDS: Array<[string, Partial<ScheduleRecord>]> = [
  ['a name with a space', { name: scheduleName('bad name') }],
  ['a path as name', { name: scheduleName('../x') }],
  ['an upper-case name', { name: scheduleName('Nightly') }],
  ['a 41-character name', { name: scheduleName('n'.repeat(41)) }],
  ['an invalid cron', { timing: { type: 'cron', expression: '61 * * * *' } }],
  ['a cron due every minute', { timing: { type: 'cron', expression: '* * * * *' } }],
  ['a rate under 5 minutes', { timing: { type: 'rate', every: 1, unit: 'minutes' } }],
  ['an unknown time zone', { timezone: 'Mars/Olympus' }],
  ['an empty prompt', { prompt: '   ' }],
  ['a prompt over 4000 characters', { prompt: 'p'.repeat(4001) }],
  ['chat 0', { target: { chat: 0 } }],
  ['a negative thread', { target: { chat: 1, thread: -3 } }],
  ['a bad model', { model: 'son net' }],
  ['a bad agent', { agent: '../agent' }],
  ['an unknown origin', { origin: 'api' as never }],
  ['paused as a string', { paused: 'no' as never }],
  ['an empty createdBy', { createdBy: '' }],
  ['a negative time', { createdAt: -1 }],
  ['a fractional time', { updatedAt: START + 0.5 }],
  ['topic 0', { topic: 0 }],
  ['a bad tenant', { tenant: '../x' as never }],
];

/** Hostile input is refused with the typed errors before any read or write; nothing is written. */
export function hostileTests(harness: ScheduleHarness): void {
  describe('hostile input', () => {
    const subject = useScheduleSubject(harness);

    it.each(BAD_RECORDS)('refuses a record with %s', async (_, overrides) => {
      const s = subject();
      const record = scheduleRecord('valid', overrides);
      await expect(s.schedules.put(record)).rejects.toBeInstanceOf(InvalidScheduleError);
      await expect(s.schedules.put(record, 0)).rejects.toBeInstanceOf(InvalidScheduleError);
      expect(await s.raw.listKeys()).toEqual([]);
    });

    it('refuses bad versions, names, topics and due times, and writes nothing', async () => {
      const s = subject();
      for (const version of [-1, 1.5, Number.NaN])
        await expect(s.schedules.put(scheduleRecord('v'), version)).rejects.toBeInstanceOf(
          InvalidScheduleError,
        );
      for (const name of ['../x', 'Bad', '', 'n'.repeat(41), 'a\u0000b'].map(scheduleName)) {
        await expect(s.schedules.get(TENANT_A, name)).rejects.toBeInstanceOf(InvalidScheduleError);
        await expect(s.schedules.remove(TENANT_A, name)).rejects.toBeInstanceOf(InvalidScheduleError);
        await expect(s.schedules.setTopic(TENANT_A, name, 5)).rejects.toBeInstanceOf(InvalidScheduleError);
        await expect(s.schedules.markDue(TENANT_A, name, START)).rejects.toBeInstanceOf(InvalidScheduleError);
      }
      await s.schedules.put(scheduleRecord('ok'));
      const keys = await s.raw.listKeys();
      for (const topic of [0, -5, 1.5, Number.NaN])
        await expect(s.schedules.setTopic(TENANT_A, scheduleName('ok'), topic)).rejects.toBeInstanceOf(
          InvalidScheduleError,
        );
      for (const dueAt of [-1, Number.NaN, 1.5, Date.UTC(2300, 0, 1)])
        await expect(s.schedules.markDue(TENANT_A, scheduleName('ok'), dueAt)).rejects.toBeInstanceOf(
          InvalidScheduleError,
        );
      expect(await s.raw.listKeys()).toEqual(keys);
      expect(await s.raw.readSchedule(TENANT_A, 'ok')).toEqual({ ...scheduleRecord('ok'), version: 1 });
    });

    it.each(BAD_TENANTS.map((t) => [JSON.stringify(t), t]))(
      'refuses tenant %s everywhere',
      async (_, bad) => {
        const s = subject();
        const tenant = bad as never;
        const name = scheduleName('ok');
        await expect(s.schedules.list(tenant)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.schedules.get(tenant, name)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.schedules.remove(tenant, name)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.schedules.setTopic(tenant, name, 1)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.schedules.markDue(tenant, name, START)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.claims.putIfAbsent(tenant, 'k', 'v', MINUTE)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.claims.get(tenant, 'k')).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.claims.delete(tenant, 'k')).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.claims.increment(tenant, 'k', 5, MINUTE)).rejects.toBeInstanceOf(InvalidIdError);
        expect(await s.raw.listKeys()).toEqual([]);
      },
    );

    it.each(BAD_KEYS.map((k) => [JSON.stringify(k).slice(0, 24), k]))(
      'refuses claim key %s everywhere',
      async (_, key) => {
        const s = subject();
        await expect(s.claims.putIfAbsent(TENANT_A, key, 'v', MINUTE)).rejects.toBeInstanceOf(
          InvalidClaimError,
        );
        await expect(s.claims.get(TENANT_A, key)).rejects.toBeInstanceOf(InvalidClaimError);
        await expect(s.claims.delete(TENANT_A, key)).rejects.toBeInstanceOf(InvalidClaimError);
        await expect(s.claims.increment(TENANT_A, key, 5, MINUTE)).rejects.toBeInstanceOf(InvalidClaimError);
        expect(await s.raw.listKeys()).toEqual([]);
      },
    );

    it('refuses oversized or non-string values, bad TTLs and bad limits, and writes nothing', async () => {
      const s = subject();
      // 8 KiB + 1 byte, and 4097 two-byte characters (8194 bytes in UTF-8, 4097 in length).
      for (const value of ['x'.repeat(8 * 1024 + 1), 'é'.repeat(4097), 5 as unknown as string]) {
        const err = await s.claims.putIfAbsent(TENANT_A, 'k', value, MINUTE).catch((e) => e);
        expect(err).toBeInstanceOf(InvalidClaimError);
        expect((err as InvalidClaimError).code).toBe('invalid_claim');
      }
      for (const ttl of BAD_TTLS) {
        await expect(s.claims.putIfAbsent(TENANT_A, 'k', 'v', ttl)).rejects.toBeInstanceOf(InvalidClaimError);
        await expect(s.claims.increment(TENANT_A, 'k', 5, ttl)).rejects.toBeInstanceOf(InvalidClaimError);
      }
      for (const limit of BAD_LIMITS)
        await expect(s.claims.increment(TENANT_A, 'k', limit, MINUTE)).rejects.toBeInstanceOf(
          InvalidClaimError,
        );
      expect(await s.raw.listKeys()).toEqual([]);
      // The bounds themselves are fine.
      expect((await s.claims.putIfAbsent(TENANT_A, 'k'.repeat(200), 'v', 1000)).created).toBe(true);
      expect(await s.claims.increment(TENANT_A, 'A-z_0.9:#-', 1, 400 * 86_400_000)).toBe(true);
    });
  });
}
