import type { TraceItem } from './calibration-trace.js';
import { createSimulation } from './event-queue.js';
import { createSample, type Sample } from './metrics.js';

export interface SqsConsumerModelOptions {
  /** `maxInFlight` of the consumer. */
  slots: number;
  /** Round trip of a ReceiveMessage that finds messages (s). */
  receiveLatencyS: number;
  /** Long-poll wait when the queue has nothing available (s). */
  waitTimeS: number;
  /** Round trip of the DeleteMessage after each handler (s). */
  deleteLatencyS: number;
  /**
   * The consumer's rules: `batch` (before §8.6, the default: kept for the record) — every received
   * message holds a slot until deleted, a full consumer waits for a whole batch; `units` (since
   * §8.6) — a slot is held only while a handler runs, received messages wait outside the slots,
   * the consumer holds at most `slots + lookAhead` and receives again as soon as any is deleted.
   */
  rules?: 'batch' | 'units';
  /** `units` only: messages held beyond the slots (default max(1, floor(slots / 2)), as the consumer). */
  lookAhead?: number;
}

interface Msg {
  item: TraceItem;
  arrival: number;
}

/**
 * The long-polling SQS FIFO consumer (`src/queue/sqs-consumer.ts`) as the simulation sees it:
 * - SQS FIFO hands out messages of groups with nothing in flight, oldest first, and fills a batch
 *   with as many messages of one group as it can before moving to the next group;
 * - the consumer asks for `min(10, slots − inFlight)` messages, counts every received message as
 *   in flight until it is deleted (so a batch's later messages of one group hold slots while they
 *   wait for the earlier ones), and when full waits for a whole batch to finish before it
 *   receives again.
 * That is `rules: 'batch'`; `rules: 'units'` models the consumer since §8.6 (see the option).
 * Used by the calibration to compare against the real consumer on fauxqs.
 */
export function simulateSqsConsumer(
  trace: readonly TraceItem[],
  options: SqsConsumerModelOptions,
): { delay: Sample; throughput: number } {
  const sim = createSimulation();
  const delay = createSample();
  const pending: Msg[] = [];
  const locked = new Set<number>();
  const units = options.rules === 'units';
  /** Received messages held at most (`units`: beyond the slots by the look-ahead). */
  const capacity = units
    ? options.slots + (options.lookAhead ?? Math.max(1, Math.floor(options.slots / 2)))
    : options.slots;
  let inFlight = 0;
  /** `units`: handlers running, and the starts waiting for a slot in arrival order. */
  let running = 0;
  const ready: Array<() => void> = [];
  const whenSlotFree = (start: () => void): void => {
    if (running < options.slots) {
      running++;
      start();
    } else ready.push(start);
  };
  const freeSlot = (): void => {
    const next = ready.shift();
    if (next)
      next(); // handed over
    else running--;
  };
  let blocked = false;
  let polling: { max: number } | undefined;
  let pollTimer = 0;
  let finished = 0;
  let last = 0;

  /** What a ReceiveMessage would return now (and removes it from the queue). */
  const take = (max: number): Msg[] => {
    const out: Msg[] = [];
    const taken = new Set<number>();
    while (out.length < max) {
      const head = pending.find((m) => !locked.has(m.item.group) && !taken.has(m.item.group));
      if (!head) break;
      const group = head.item.group;
      taken.add(group);
      for (let i = 0; i < pending.length && out.length < max;) {
        const m = pending[i] as Msg;
        if (m.item.group === group) {
          out.push(m);
          pending.splice(i, 1);
        } else i++;
      }
    }
    for (const m of out) locked.add(m.item.group);
    return out;
  };

  const runBatch = (batch: Msg[]): void => {
    const groups = new Map<number, Msg[]>();
    for (const m of batch) groups.set(m.item.group, [...(groups.get(m.item.group) ?? []), m]);
    let groupsLeft = groups.size;
    for (const [group, msgs] of groups) {
      const next = (i: number): void => {
        const m = msgs[i];
        if (!m) {
          locked.delete(group);
          wakePoll();
          if (--groupsLeft === 0 && blocked) {
            blocked = false;
            receive();
          }
          return;
        }
        const deleted = (): void => {
          inFlight--;
          finished++;
          last = sim.now;
          if (units && blocked) {
            blocked = false;
            receive();
          }
          next(i + 1);
        };
        if (!units) {
          delay.add(sim.now - m.arrival);
          sim.after(m.item.serviceS + options.deleteLatencyS, deleted);
          return;
        }
        whenSlotFree(() => {
          delay.add(sim.now - m.arrival);
          sim.after(m.item.serviceS, () => {
            freeSlot();
            sim.after(options.deleteLatencyS, deleted);
          });
        });
      };
      next(0);
    }
  };

  const deliver = (max: number): boolean => {
    const batch = take(max);
    if (batch.length === 0) return false;
    inFlight += batch.length;
    sim.after(options.receiveLatencyS, () => {
      runBatch(batch);
      receive();
    });
    return true;
  };

  function wakePoll(): void {
    if (!polling) return;
    const { max } = polling;
    polling = undefined;
    if (!deliver(max)) polling = { max };
  }

  function receive(): void {
    if (polling || finished === trace.length) return;
    if (inFlight >= capacity) {
      blocked = true;
      return;
    }
    const max = Math.min(10, capacity - inFlight);
    if (deliver(max)) return;
    polling = { max };
    const timer = ++pollTimer;
    sim.after(options.waitTimeS, () => {
      if (timer !== pollTimer || !polling) return;
      polling = undefined;
      receive();
    });
  }

  for (const item of trace) {
    sim.at(item.atS, () => {
      pending.push({ item, arrival: sim.now });
      wakePoll();
    });
  }
  sim.at(0, receive);
  sim.run();
  if (finished !== trace.length)
    throw new Error(`[scale:sqs-model] ${trace.length - finished} messages never ran`);
  return { delay, throughput: trace.length / last };
}
