import { afterEach, beforeEach } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { parseTenantId } from '../../../core/ids.js';
import type { ScheduleName, ScheduleRecord } from '../../types.js';
import type { ScheduleHarness, ScheduleSubject } from '../conformance.js';

export const TENANT_A = parseTenantId('acme');
export const TENANT_B = parseTenantId('globex');
/** Every tenant the suite writes (raw readers list these partitions). */
export const TENANTS = [TENANT_A, TENANT_B];
export const MINUTE = 60_000;
/** Not on a whole second: backends storing seconds must still expire on time. */
export const START = Date.UTC(2026, 11, 2, 8, 30, 0) + 250;

/** A fresh subject per test, cleaned up afterwards. */
export function useScheduleSubject(harness: ScheduleHarness): () => ScheduleSubject {
  let subject: ScheduleSubject | undefined;
  beforeEach(async () => {
    subject = await harness.create({ clock: new ManualClock(START) });
  });
  afterEach(async () => {
    const current = subject;
    subject = undefined;
    await current?.cleanup();
  });
  return () => {
    if (!subject) throw new Error('[schedules:conformance] no subject: harness.create() failed');
    return subject;
  };
}

export const scheduleName = (name: string) => name as ScheduleName;

/** A runtime schedule of `tenant` with every optional field set (override or delete what a test needs). */
export function scheduleRecord(
  name: string,
  overrides: Partial<ScheduleRecord> = {},
  tenant = TENANT_A,
): ScheduleRecord {
  return {
    tenant,
    name: scheduleName(name),
    timing: { type: 'cron', expression: '0 9 * * 1-5' },
    timezone: 'Europe/Berlin',
    prompt: 'Summarise last night’s CloudWatch alarms and what changed. 🚨',
    target: { chat: -1001234567890, thread: 'new' },
    model: 'sonnet',
    agent: 'aws-support',
    enabled: true,
    origin: 'runtime',
    paused: false,
    createdBy: 'tg:4242',
    createdAt: START,
    updatedAt: START,
    version: 1,
    ...overrides,
  };
}

/** `record` without the optional fields named. */
export function without(record: ScheduleRecord, ...fields: Array<keyof ScheduleRecord>): ScheduleRecord {
  const copy = structuredClone(record);
  for (const field of fields) delete copy[field];
  return copy;
}
