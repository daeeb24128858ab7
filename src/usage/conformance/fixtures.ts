import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { DAY_MS, ManualClock } from '../../core/clock.js';
import { parseChatId, parseTenantId, parseThreadId, type TenantId } from '../../core/ids.js';
import type { UsageConformanceHarness, UsageConformanceSubject } from '../conformance.js';
import type { UsageTurn } from '../types.js';

/** Two tenants whose names are not substrings of each other. */
export const TENANT_A: TenantId = parseTenantId('acme');
export const TENANT_B: TenantId = parseTenantId('globex');

/** The suite's clock starts at noon on the last day of a month, so day and month rollovers are close. */
export const START = Date.UTC(2025, 0, 31, 12, 0, 0);
export const FEB_1 = Date.UTC(2025, 1, 1);
export const MAR_1 = Date.UTC(2025, 2, 1);
/** The default retention the adapters use, in ms. */
export const DEFAULT_RETENTION_MS = 400 * DAY_MS;

/** Fresh subject per test (`beforeEach`), cleaned up after it. */
export function useSubject(
  harness: UsageConformanceHarness,
  options: { retentionDays?: number } = {},
): () => UsageConformanceSubject {
  let subject: UsageConformanceSubject | undefined;
  beforeEach(async () => {
    subject = await harness.create({ ...options, clock: new ManualClock(START) });
  });
  afterEach(async () => {
    const current = subject;
    subject = undefined;
    await current?.cleanup();
  });
  return () => {
    if (!subject) throw new Error('[usage conformance] no subject: harness.create() failed');
    return subject;
  };
}

/** A turn of tenant A, chat 100, thread main, user 42 at the subject clock's time, unless overridden. */
export function turn(s: UsageConformanceSubject, overrides: Partial<UsageTurn> = {}): UsageTurn {
  return {
    tenant: TENANT_A,
    chat: parseChatId(100),
    thread: parseThreadId('main'),
    userId: 42,
    sessionId: randomUUID(),
    model: 'claude-sonnet-4-5',
    tokens: { input: 100, output: 20, cacheCreation: 5, cacheRead: 1000 },
    costUsd: 0.0123,
    durationMs: 1500,
    at: s.clock.now(),
    ...overrides,
  };
}

export const conv = { chat: parseChatId(100), thread: parseThreadId('main') };
