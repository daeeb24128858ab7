import { createHeap } from './heap.js';

/**
 * The discrete-event engine: callbacks keyed by (time, insertion order) in a min-heap, and a clock
 * that jumps from one event to the next. Nothing sleeps; a simulated day runs in seconds. Events
 * at the same instant run in the order they were scheduled.
 */
export interface Simulation {
  /** Current simulated time in seconds. */
  readonly now: number;
  /** Run `fn` at absolute time `t` (clamped to now: the past cannot be scheduled). */
  at(t: number, fn: () => void): void;
  /** Run `fn` after `dt` seconds. */
  after(dt: number, fn: () => void): void;
  /** Process events until none are left or the next one is later than `until`; returns events run. */
  run(until?: number): number;
  /** Events waiting. */
  readonly pending: number;
}

interface Entry {
  t: number;
  seq: number;
  fn: () => void;
}

export function createSimulation(): Simulation {
  const heap = createHeap<Entry>((a, b) => a.t < b.t || (a.t === b.t && a.seq < b.seq));
  let now = 0;
  let seq = 0;
  return {
    get now() {
      return now;
    },
    get pending() {
      return heap.size;
    },
    at(t, fn) {
      heap.push({ t: Math.max(t, now), seq: seq++, fn });
    },
    after(dt, fn) {
      heap.push({ t: now + Math.max(0, dt), seq: seq++, fn });
    },
    run(until = Infinity) {
      let count = 0;
      for (let next = heap.peek(); next !== undefined && next.t <= until; next = heap.peek()) {
        heap.pop();
        now = next.t;
        next.fn();
        count++;
      }
      if (until !== Infinity && now < until) now = until;
      return count;
    },
  };
}
