import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { TenantId } from '../../core/ids.js';
import type { UpdateDeduper } from './types.js';

/**
 * The `UpdateDeduper` contract every backend passes: `runDeduperConformance` with a factory that
 * builds a fresh, empty deduper on the given clock and TTL (and how to clean it up).
 */
export interface DeduperHarness {
  deduper: UpdateDeduper;
  cleanup?(): Promise<void> | void;
}

export type DeduperFactory = (options: { clock: ManualClock; ttlMs: number }) => Promise<DeduperHarness>;

const A = 'default' as TenantId;
const B = 'acme' as TenantId;
const TTL_MS = 1000;
/** A whole second, as real clocks are not: backends storing seconds must still expire on time. */
const START = Date.UTC(2026, 10, 20, 8, 30, 0);

export function runDeduperConformance(name: string, create: DeduperFactory): void {
  describe(`UpdateDeduper conformance: ${name}`, () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });
    const open = async (clock = new ManualClock(START)): Promise<UpdateDeduper> => {
      const harness = await create({ clock, ttlMs: TTL_MS });
      if (harness.cleanup) cleanups.push(harness.cleanup.bind(harness));
      return harness.deduper;
    };

    it('claims an update once per tenant', async () => {
      const d = await open();
      expect(await d.claim(A, 1)).toBe(true);
      expect(await d.claim(A, 1)).toBe(false);
      expect(await d.claim(B, 1)).toBe(true);
      expect(await d.claim(A, 2)).toBe(true);
    });

    it('lets exactly one of concurrent claims of the same update win', async () => {
      const d = await open();
      const won = await Promise.all(Array.from({ length: 8 }, () => d.claim(A, 7)));
      expect(won.filter(Boolean)).toHaveLength(1);
    });

    it('expires claims after the TTL, and a taken-over claim runs a fresh TTL', async () => {
      const clock = new ManualClock(START);
      const d = await open(clock);
      expect(await d.claim(A, 1)).toBe(true);
      clock.advance(TTL_MS - 1);
      expect(await d.claim(A, 1)).toBe(false);
      clock.advance(1);
      expect(await d.claim(A, 1)).toBe(true);
      clock.advance(TTL_MS - 1);
      expect(await d.claim(A, 1)).toBe(false);
    });

    it('never expires a claim early when the clock is not on a whole second', async () => {
      const clock = new ManualClock(START + 250);
      const d = await open(clock);
      expect(await d.claim(A, 3)).toBe(true);
      clock.advance(TTL_MS - 1);
      expect(await d.claim(A, 3)).toBe(false);
      clock.advance(TTL_MS + 1); // well past any rounding of the expiry
      expect(await d.claim(A, 3)).toBe(true);
    });

    it('release lets a failed update be processed again, and only that one', async () => {
      const d = await open();
      await d.claim(A, 5);
      await d.claim(A, 6);
      await d.claim(B, 5);
      await d.release(A, 5);
      expect(await d.claim(A, 5)).toBe(true);
      expect(await d.claim(A, 6)).toBe(false);
      expect(await d.claim(B, 5)).toBe(false);
    });

    it('releasing an update that was never claimed is harmless', async () => {
      const d = await open();
      await expect(d.release(A, 99)).resolves.toBeUndefined();
      expect(await d.claim(A, 99)).toBe(true);
    });
  });
}
