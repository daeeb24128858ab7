import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import type { TenantId } from '../../../core/ids.js';
import { parseScheduleSpec } from '../../../schedules/index.js';
import { createMemoryClaimStore } from '../../../schedules/store/memory.js';
import { draftButtonData, parseDraftData } from './data.js';
import { consumeDraft, DRAFT_TTL_MS, readDraft, saveDraft } from './draft.js';

const TENANT = 'acme' as TenantId;
const spec = (prompt = 'Check the alarms') =>
  parseScheduleSpec({ name: 'alarms', every: '15m', prompt, target: { chat: -100, thread: 7 } });

describe('schedule drafts in the claim store', () => {
  it('round-trips through sdraft:<id> and expires after 15 minutes', async () => {
    const clock = new ManualClock();
    const claims = createMemoryClaimStore({ clock });
    const draft = { spec: spec(), chat: { id: -100, thread: 7 }, proposer: 111 };
    const saved = await saveDraft(claims, TENANT, draft);
    if (saved === 'too_long') throw new Error('unexpected');
    expect(saved.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.parse((await claims.get(TENANT, `sdraft:${saved.id}`))!)).toEqual({
      spec: {
        name: 'alarms',
        every: '15m',
        timezone: 'UTC',
        prompt: 'Check the alarms',
        target: { chat: -100, thread: 7 },
        enabled: true,
      },
      chat: { id: -100, thread: 7 },
      proposer: 111,
    });
    expect(await readDraft(claims, TENANT, saved.id)).toEqual(draft);
    expect(await readDraft(claims, 'other' as TenantId, saved.id)).toBeUndefined();
    clock.advance(DRAFT_TTL_MS);
    expect(await readDraft(claims, TENANT, saved.id)).toBeUndefined();
  });

  it('is used up by exactly one caller', async () => {
    const claims = createMemoryClaimStore();
    const saved = await saveDraft(claims, TENANT, { spec: spec(), chat: { id: -100 }, proposer: 1 });
    if (saved === 'too_long') throw new Error('unexpected');
    const results = await Promise.all([1, 2, 3].map((by) => consumeDraft(claims, TENANT, saved.id, by)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await readDraft(claims, TENANT, saved.id)).toBeUndefined();
  });

  it('refuses a draft over a claim’s 8 KiB, and reads a tampered value as none', async () => {
    const claims = createMemoryClaimStore();
    expect(
      await saveDraft(claims, TENANT, { spec: spec('日本語'.repeat(1000)), chat: { id: -100 }, proposer: 1 }),
    ).toBe('too_long');
    await claims.putIfAbsent(
      TENANT,
      'sdraft:AAAAAAAAAAAAAAAAAAAAAA',
      '{"spec":{"name":"x"},"chat":{"id":1},"proposer":1}',
      60_000,
    );
    expect(await readDraft(claims, TENANT, 'AAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
  });

  it('puts only the draft id and the action in the button data', () => {
    const data = draftButtonData('abcdefghijklmnopqrstuv', 'save');
    expect(data).toBe('sc:abcdefghijklmnopqrstuv:s');
    expect(parseDraftData(data)).toEqual({ id: 'abcdefghijklmnopqrstuv', action: 'save' });
    expect(parseDraftData('sc:abcdefghijklmnopqrstuv:c')?.action).toBe('cancel');
    for (const bad of [
      'sc:abc:s',
      'sc:abcdefghijklmnopqrstuv:x',
      'sc:abcdefghijklmnopqrstu/:s',
      'sc:abcdefghijklmnopqrstuv:s:1',
    ]) {
      expect(parseDraftData(bad)).toBeUndefined();
    }
  });
});
