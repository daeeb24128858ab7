import { describe, expect, it } from 'vitest';
import { createSimulation } from '../../bench/scale/event-queue.js';
import { createHeap } from '../../bench/scale/heap.js';
import { createRng } from '../../bench/scale/prng.js';

describe('scale simulation: event engine', () => {
  it('runs events in time order, same-time events in the order they were scheduled', () => {
    const sim = createSimulation();
    const seen: string[] = [];
    sim.at(2, () => seen.push('b@2'));
    sim.at(1, () => seen.push('a@1'));
    sim.at(2, () => seen.push('c@2'));
    sim.at(1.5, () => sim.after(0.5, () => seen.push('d@2 (scheduled at 1.5)')));
    expect(sim.run()).toBe(5);
    expect(seen).toEqual(['a@1', 'b@2', 'c@2', 'd@2 (scheduled at 1.5)']);
    expect(sim.now).toBe(2);
  });

  it('stops at `until` with the clock there, and never schedules into the past', () => {
    const sim = createSimulation();
    const seen: number[] = [];
    for (const t of [1, 3, 5]) sim.at(t, () => seen.push(sim.now));
    sim.run(4);
    expect(seen).toEqual([1, 3]);
    expect(sim.now).toBe(4);
    sim.at(2, () => seen.push(sim.now));
    sim.run();
    expect(seen).toEqual([1, 3, 4, 5]);
  });

  it('keeps a heap of 10,000 random keys sorted', () => {
    const rng = createRng(7);
    const heap = createHeap<number>((a, b) => a < b);
    const keys = Array.from({ length: 10_000 }, () => rng.next());
    for (const k of keys) heap.push(k);
    const out: number[] = [];
    for (let k = heap.pop(); k !== undefined; k = heap.pop()) out.push(k);
    expect(out).toEqual([...keys].sort((a, b) => a - b));
  });

  it('is deterministic for a seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(createRng(43).next()).not.toBe(xs[0]);
  });
});
