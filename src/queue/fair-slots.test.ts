import { describe, expect, it } from 'vitest';
import { createFairSlots, fairOrder, tenantCapOf } from './fair-slots.js';

/** A unit the test finishes by hand; `started` tells whether the pool gave it a slot yet. */
interface Unit {
  tenant: string;
  started: boolean;
  finish: () => void;
  done: Promise<void>;
}

/** Lets the pool's promise continuations run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function submit(
  slots: ReturnType<typeof createFairSlots>,
  tenant: string,
  log: string[],
  name: string,
): Unit {
  let finish: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (finish = resolve));
  const unit: Unit = { tenant, started: false, finish: () => finish(), done: Promise.resolve() };
  unit.done = slots.run(tenant, async () => {
    unit.started = true;
    log.push(name);
    await gate;
  });
  return unit;
}

describe('tenantCapOf', () => {
  it('is ceil(slots × share), at least 1, at most the slots', () => {
    expect(tenantCapOf(4, 0.5)).toBe(2);
    expect(tenantCapOf(5, 0.5)).toBe(3);
    expect(tenantCapOf(4, 0.1)).toBe(1);
    expect(tenantCapOf(4, 1)).toBe(4);
    expect(tenantCapOf(4, 3)).toBe(4);
    expect(() => tenantCapOf(4, 0)).toThrow(RangeError);
  });
});

describe('createFairSlots', () => {
  it('runs at most `slots` units at once and hands a freed slot to the oldest waiter (one tenant)', async () => {
    const slots = createFairSlots(2, 1);
    const log: string[] = [];
    const units = ['a1', 'a2', 'a3', 'a4'].map((n) => submit(slots, 'a', log, n));
    await flush();
    expect(log).toEqual(['a1', 'a2']);
    expect(slots.running()).toBe(2);
    expect(slots.waiting()).toBe(2);
    // A lone tenant is not capped: the freed slot goes to its next unit (work conserving).
    units[1]?.finish();
    await flush();
    expect(log).toEqual(['a1', 'a2', 'a3']);
    expect(slots.running('a')).toBe(2);
    for (const u of units) u.finish();
    await Promise.all(units.map((u) => u.done));
    expect(log).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(slots.running()).toBe(0);
  });

  it("a tenant at its cap waits while another tenant's unit waits; slots are not taken back", async () => {
    const slots = createFairSlots(4, 2);
    const log: string[] = [];
    const flood = Array.from({ length: 8 }, (_, i) => submit(slots, 'a', log, `a${i}`));
    await flush();
    expect(slots.running('a')).toBe(4); // nobody else waited: A may use every slot
    const quiet = [submit(slots, 'b', log, 'b0'), submit(slots, 'b', log, 'b1')];
    await flush();
    expect(log.filter((n) => n.startsWith('b'))).toEqual([]); // no slot is free
    // The first freed slot goes to B although A's units waited longer.
    flood[0]?.finish();
    await flush();
    expect(log.at(-1)).toBe('b0');
    flood[1]?.finish();
    await flush();
    expect(log.at(-1)).toBe('b1');
    expect(slots.running('a')).toBe(2);
    expect(slots.running('b')).toBe(2);
    // A is at its cap with no B waiting: a freed B slot goes back to A (no idle slot).
    quiet[0]?.finish();
    await flush();
    expect(log.at(-1)).toBe('a4');
    expect(slots.running()).toBe(4);
    for (const u of [...flood, ...quiet]) u.finish();
    await Promise.all([...flood, ...quiet].map((u) => u.done));
    expect(log.filter((n) => n.startsWith('a'))).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    expect(slots.waiting()).toBe(0);
  });

  it('a cap equal to the slots is first come, first served', async () => {
    const slots = createFairSlots(2, 2);
    const log: string[] = [];
    const units = [
      submit(slots, 'a', log, 'a0'),
      submit(slots, 'a', log, 'a1'),
      submit(slots, 'a', log, 'a2'),
      submit(slots, 'b', log, 'b0'),
    ];
    await flush();
    units[0]?.finish();
    await flush();
    expect(log).toEqual(['a0', 'a1', 'a2']); // A's older unit first: A (2) is not above the cap
    for (const u of units) u.finish();
    await Promise.all(units.map((u) => u.done));
    expect(log).toEqual(['a0', 'a1', 'a2', 'b0']);
  });

  it('a failing unit frees its slot and the error reaches the caller', async () => {
    const slots = createFairSlots(1, 1);
    await expect(slots.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(slots.running()).toBe(0);
    await expect(slots.run('a', () => Promise.resolve(7))).resolves.toBe(7);
  });
});

describe('fairOrder', () => {
  it("puts a batch's conversations round the tenants by what each runs, keeping each conversation's units in order", () => {
    // [tenant, conversation, n]: the flood (3 running) came first in the batch.
    const units: Array<[string, string, number]> = [
      ['flood', 'f1', 1],
      ['flood', 'f1', 2],
      ['flood', 'f2', 1],
      ['quiet', 'q1', 1],
      ['quiet', 'q2', 1],
      ['quiet', 'q1', 2],
    ];
    const running = (tenant: string): number => (tenant === 'flood' ? 3 : 0);
    const ordered = fairOrder(
      units,
      (u) => u[1],
      (u) => u[0],
      running,
    );
    expect(ordered.map((u) => `${u[1]}.${u[2]}`)).toEqual(['q1.1', 'q1.2', 'q2.1', 'f1.1', 'f1.2', 'f2.1']);
    // Nobody running: tenants alternate, first come first within a rank.
    const even = fairOrder(
      units,
      (u) => u[1],
      (u) => u[0],
      () => 0,
    );
    expect(even.map((u) => u[1])).toEqual(['f1', 'f1', 'q1', 'q1', 'f2', 'q2']);
  });
});
