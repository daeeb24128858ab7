import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { conversationKey } from '../core/keys.js';
import { queuedMessage } from './conformance.js';
import { createFairSlots } from './fair-slots.js';
import { createMemoryQueue } from './memory.js';
import { messageGroupId, updateIdOf } from './message.js';
import type { QueuedMessage } from './types.js';

/**
 * Fair share in the in-process queue (docs/scale.md §8.4), driven in logical ticks: every turn is
 * a real handler awaiting a promise that the test resolves TURN ticks after the turn started, and
 * the queue's own continuations run between ticks (no timers decide anything).
 */
const SLOTS = 8;
const TURN = 10;
const FLOOD = 'flooder';
const QUIET = 'quiet';

function message(tenant: string, chat: number, updateId: number): QueuedMessage {
  const base = queuedMessage(String(chat), updateId);
  return { ...base, key: conversationKey({ tenant, chat: String(chat), thread: undefined }) };
}

/** Lets every pending promise continuation of the queue run (one macrotask turn). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Arrival {
  tick: number;
  message: QueuedMessage;
}

/**
 * The §8.4 load: the flooding tenant sends 200 messages over 40 chats at tick 0; the quiet tenant
 * sends 10, one every 12 ticks from tick 3, over 5 chats (a light tenant: never more than its cap
 * at once, and never two of its messages in one chat at a time).
 */
function load(): Arrival[] {
  const out: Arrival[] = [];
  for (let i = 0; i < 200; i++) out.push({ tick: 0, message: message(FLOOD, 1000 + (i % 40), i + 1) });
  for (let i = 0; i < 10; i++) out.push({ tick: 3 + 12 * i, message: message(QUIET, 2000 + (i % 5), i + 1) });
  return out;
}

interface Running {
  tenant: string;
  group: string;
  endsAt: number;
  finish: () => void;
}

async function replay(tenantSlotCap: number | undefined) {
  const clock = new ManualClock();
  let tick = 0;
  const running = new Set<Running>();
  /** Enqueued, not started yet, by group + update id. */
  const pending = new Map<string, { tenant: string; group: string; at: number }>();
  const quietWaits: number[] = [];
  const order = new Map<string, number[]>();
  /** Flooder starts while a quiet message waited, with the flooder's running turns after the start. */
  const floodStartsWhileQuietWaits: number[] = [];
  let maxPerGroup = 0;
  let maxRunning = 0;
  const holding = (tenant: string): number => [...running].filter((r) => r.tenant === tenant).length;

  const queue = createMemoryQueue({
    concurrency: SLOTS,
    ...(tenantSlotCap !== undefined ? { tenantSlotCap } : {}),
    busy: () => 'one-by-one',
    clock,
    handler: (m) => {
      const tenant = m.key.tenant;
      const group = messageGroupId(m);
      const id = `${group}/${updateIdOf(m)}`;
      const waited = pending.get(id);
      pending.delete(id);
      if (tenant === QUIET) quietWaits.push(tick - (waited?.at ?? tick));
      order.set(group, [...(order.get(group) ?? []), updateIdOf(m) ?? -1]);
      return new Promise<void>((finish) => {
        const turn = { tenant, group, endsAt: tick + TURN, finish };
        running.add(turn);
        maxPerGroup = Math.max(maxPerGroup, [...running].filter((r) => r.group === group).length);
        maxRunning = Math.max(maxRunning, running.size);
        const quietWaiting = [...pending.values()].some((p) => p.tenant === QUIET);
        if (tenant === FLOOD && quietWaiting) floodStartsWhileQuietWaits.push(holding(FLOOD));
      });
    },
  });

  const arrivals = load();
  /** Work-conserving check per tick: slots in use vs conversations that have work. */
  const idleWhileWork: number[] = [];
  /** Flooder's running turns at the ticks when the quiet tenant had nothing queued or running. */
  const floodAlone: number[] = [];
  for (; arrivals.length > 0 || running.size > 0; tick++, clock.advance(1000)) {
    for (const turn of [...running].filter((r) => r.endsAt <= tick)) {
      running.delete(turn);
      turn.finish();
    }
    await settle();
    for (const { message: m } of arrivals.filter((a) => a.tick === tick)) {
      pending.set(`${messageGroupId(m)}/${updateIdOf(m)}`, {
        tenant: m.key.tenant,
        group: messageGroupId(m),
        at: tick,
      });
      await queue.enqueue(m);
    }
    arrivals.splice(0, arrivals.length, ...arrivals.filter((a) => a.tick > tick));
    await settle();
    const busyGroups = new Set([...pending.values()].map((p) => p.group));
    for (const r of running) busyGroups.add(r.group);
    if (running.size < Math.min(SLOTS, busyGroups.size)) idleWhileWork.push(tick);
    const quietActive = holding(QUIET) > 0 || [...pending.values()].some((p) => p.tenant === QUIET);
    if (!quietActive && pending.size > 0) floodAlone.push(holding(FLOOD));
  }
  await queue.idle();
  return {
    quietWaits,
    floodStartsWhileQuietWaits,
    order,
    maxPerGroup,
    maxRunning,
    idleWhileWork,
    floodAlone,
  };
}

describe('createMemoryQueue: fair share per tenant', () => {
  it('a flooding tenant (200 messages, 40 chats) leaves a slot for a quiet one within a turn, and uses all 8 otherwise', async () => {
    const r = await replay(undefined); // the default cap: max(1, ceil(8 / 4)) = 2
    expect(r.quietWaits).toHaveLength(10);
    expect(Math.max(...r.quietWaits)).toBeLessThan(TURN);
    // While a quiet message waited, the flooder got no slot that took it above its cap of 2 (here
    // none at all: it held 7–8 then, and running turns are never taken back).
    expect(r.floodStartsWhileQuietWaits.filter((held) => held > 2)).toEqual([]);
    // Work conserving: no slot idle while a conversation had work; alone, the flooder holds all 8.
    expect(r.idleWhileWork).toEqual([]);
    expect(r.floodAlone.length).toBeGreaterThan(0);
    expect(new Set(r.floodAlone)).toEqual(new Set([SLOTS]));
    expect(r.maxRunning).toBe(SLOTS);
    // Per conversation: in order, one at a time, each message handled once.
    expect(r.maxPerGroup).toBe(1);
    const handled = [...r.order.values()].flat();
    expect(handled).toHaveLength(210);
    for (const ids of r.order.values()) expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('without the cap (tenantSlotCap = slots) the quiet tenant waits behind the flood, as one FIFO would', async () => {
    const r = await replay(SLOTS);
    expect(r.quietWaits).toHaveLength(10);
    expect(Math.max(...r.quietWaits)).toBeGreaterThanOrEqual(3 * TURN);
    expect(r.floodStartsWhileQuietWaits.filter((held) => held > 2).length).toBeGreaterThan(0);
    expect(r.idleWhileWork).toEqual([]);
  });
});

describe('createFairSlots', () => {
  /** Holds `n` slots for `tenant` until the returned release is called. */
  const hold = (slots: ReturnType<typeof createFairSlots>, tenant: string, log: string[]) => {
    let release!: () => void;
    const done = slots.run(tenant, () => {
      log.push(tenant);
      return new Promise<void>((resolve) => (release = resolve));
    });
    return { release: () => release(), done };
  };

  it('when every waiting tenant is at its cap, the oldest waiter gets the freed slot', async () => {
    const slots = createFairSlots(4, 1);
    const log: string[] = [];
    const a1 = hold(slots, 'a', log);
    const a2 = hold(slots, 'a', log); // a lone tenant may use every slot
    const b1 = hold(slots, 'b', log);
    const b2 = hold(slots, 'b', log);
    await settle();
    expect(log).toEqual(['a', 'a', 'b', 'b']);
    const a3 = hold(slots, 'a', log); // both tenants are above their cap of 1 now
    const b3 = hold(slots, 'b', log);
    b1.release();
    await settle();
    expect(log.slice(4)).toEqual(['a']); // a3 asked first
    for (const h of [a1, a2, b2, a3]) h.release();
    await settle();
    expect(log.slice(5)).toEqual(['b']);
    b3.release();
    await Promise.all([a1.done, a2.done, b1.done, b2.done, a3.done, b3.done]);
  });

  it('refuses a pool without slots or a cap below one', () => {
    expect(() => createFairSlots(0)).toThrow(RangeError);
    expect(() => createFairSlots(4, 0)).toThrow(RangeError);
  });
});
