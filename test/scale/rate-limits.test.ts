import { describe, expect, it } from 'vitest';
import { createDynamoKeys, PARTITION_WCU_PER_S } from '../../bench/scale/dynamo-keys.js';
import { createSimulation } from '../../bench/scale/event-queue.js';
import { createRng } from '../../bench/scale/prng.js';
import { createPacer } from '../../bench/scale/rate-limit.js';
import { createTelegramSends } from '../../bench/scale/telegram-sends.js';

describe('scale simulation: rate limits', () => {
  it('a key written at twice its partition limit throttles about half the writes', () => {
    const sim = createSimulation();
    const keys = createDynamoKeys({ sim, rng: createRng(1), maxAttempts: 1, throttleBackoffS: 0.5 });
    let ok = 0;
    const seconds = 20;
    const perSecond = 2 * PARTITION_WCU_PER_S;
    for (let i = 0; i < seconds * perSecond; i++) {
      sim.at(i / perSecond, () => keys.write(7, 1, undefined, (accepted) => void (accepted && ok++)));
    }
    sim.run();
    // Accepted: the rate for the whole time plus the one second of burst it starts with.
    const expected = PARTITION_WCU_PER_S * seconds + PARTITION_WCU_PER_S;
    expect(Math.abs(ok - expected) / expected).toBeLessThan(0.01);
    expect(keys.counts.partitionWriteThrottles).toBe(seconds * perSecond - ok);
    expect(keys.hotPartitions.has(7)).toBe(true);
  });

  it('a counter item is its own hot key even when its partition has room', () => {
    const sim = createSimulation();
    const keys = createDynamoKeys({ sim, rng: createRng(1), maxAttempts: 1, throttleBackoffS: 0.5 });
    // 900 increments a second on one item for 10 s: under its 1,000 a second.
    for (let i = 0; i < 9000; i++) sim.at(i / 900, () => keys.write(i % 10, 1, 99, () => undefined));
    sim.run();
    expect(keys.counts.counterItemThrottles).toBe(0);
    // 3,000 a second for 2 s, spread over 10 partitions (300 each): the item refuses about half.
    const sim2 = createSimulation();
    const keys2 = createDynamoKeys({ sim: sim2, rng: createRng(1), maxAttempts: 1, throttleBackoffS: 0.5 });
    for (let i = 0; i < 6000; i++) sim2.at(i / 3000, () => keys2.write(i % 10, 1, 99, () => undefined));
    sim2.run();
    expect(keys2.counts.counterItemThrottles).toBeGreaterThan(2900);
    expect(keys2.counts.counterItemThrottles).toBeLessThan(3100);
    expect(keys2.counts.partitionWriteThrottles).toBe(0);
  });

  it('retries a throttled write with backoff and gives up after maxAttempts', () => {
    const sim = createSimulation();
    const keys = createDynamoKeys({ sim, rng: createRng(2), maxAttempts: 4, throttleBackoffS: 0.5 });
    const results: boolean[] = [];
    // 1,000 units in the bucket: the second big write must wait for a refill.
    keys.write(1, 1000, undefined, (ok) => results.push(ok));
    keys.write(1, 1000, undefined, (ok) => results.push(ok));
    sim.run();
    expect(results[0]).toBe(true);
    expect(keys.counts.partitionWriteThrottles).toBeGreaterThan(0);
    expect(keys.counts.partitionWriteThrottles + (results[1] ? 0 : 1)).toBeLessThanOrEqual(4);
  });

  it('Telegram per-chat pacing: back-to-back parts get 429s; a send budget spaces them instead', () => {
    const pacer = createPacer(1, 1);
    expect([pacer.conforms(0), pacer.conforms(0), pacer.conforms(0.5), pacer.conforms(1)]).toEqual([
      true,
      false,
      false,
      true,
    ]);
    const budget = createPacer(1, 1);
    expect([budget.reserve(0), budget.reserve(0), budget.reserve(0)]).toEqual([0, 1, 2]);

    for (const mode of ['retry', 'budget'] as const) {
      const sim = createSimulation();
      const sends = createTelegramSends({ sim, mode });
      let doneAt = -1;
      sends.send(1, 10, false, 3, () => (doneAt = sim.now));
      sim.run();
      expect(sends.messages).toBe(3);
      expect(doneAt).toBe(2);
      expect(sends.tooManyRequests.perChat).toBe(mode === 'retry' ? 2 : 0);
    }
  });

  it('a bot sending to 60 chats at once: 30 pass, the rest are refused or queued within ~1 s', () => {
    for (const mode of ['retry', 'budget'] as const) {
      const sim = createSimulation();
      const sends = createTelegramSends({ sim, mode });
      let last = 0;
      for (let chat = 0; chat < 60; chat++)
        sends.send(1, chat, false, 1, () => (last = Math.max(last, sim.now)));
      sim.run();
      expect(sends.messages).toBe(60);
      if (mode === 'retry') expect(sends.tooManyRequests.perBot).toBeGreaterThanOrEqual(30);
      else {
        expect(sends.tooManyRequests.perBot).toBe(0);
        expect(last).toBeCloseTo(30 / 30, 5);
      }
    }
  });
});
