import { describe, expect, it } from 'vitest';
import type { ScheduleHarness } from '../conformance.js';
import { MINUTE, START, TENANT_A, TENANT_B, useScheduleSubject } from './fixtures.js';

/** `putIfAbsent`, `get`, `delete`: first writer wins, records expire by the injected clock. */
export function claimTests(harness: ScheduleHarness): void {
  describe('claims', () => {
    const subject = useScheduleSubject(harness);

    it('stores the first writer’s value and hands it to later callers', async () => {
      const s = subject();
      const key = 'alarm:HighCPU#2026-12-02T08:30Z';
      expect(await s.claims.putIfAbsent(TENANT_A, key, 'first', 10 * MINUTE)).toEqual({
        created: true,
        value: 'first',
      });
      expect(await s.claims.putIfAbsent(TENANT_A, key, 'second', 10 * MINUTE)).toEqual({
        created: false,
        value: 'first',
      });
      expect(await s.claims.get(TENANT_A, key)).toBe('first');
      expect(await s.raw.readClaim(TENANT_A, key)).toEqual({
        value: 'first',
        count: 0,
        expiresAt: START + 10 * MINUTE,
      });
      // Tenants never share a key.
      expect(await s.claims.get(TENANT_B, key)).toBeNull();
      expect(await s.claims.putIfAbsent(TENANT_B, key, 'b', MINUTE)).toEqual({ created: true, value: 'b' });
      expect(await s.claims.get(TENANT_A, key)).toBe('first');
    });

    it('lets exactly one of concurrent racers create a record; all see its value', async () => {
      const s = subject();
      const values = Array.from({ length: 12 }, (_, i) => `racer-${i}`);
      const results = await Promise.all(values.map((v) => s.claims.putIfAbsent(TENANT_A, 'race', v, MINUTE)));
      const created = results.filter((r) => r.created);
      expect(created).toHaveLength(1);
      const winner = created[0]?.value;
      expect(values).toContain(winner);
      expect(results.every((r) => r.value === winner)).toBe(true);
      expect((await s.raw.readClaim(TENANT_A, 'race'))?.value).toBe(winner);
    });

    it('expires a record ttlMs after it was created; an expired one is absent and can be claimed again', async () => {
      const s = subject();
      await s.claims.putIfAbsent(TENANT_A, 'k', 'old', 5 * MINUTE);
      s.clock.advance(5 * MINUTE - 1);
      expect(await s.claims.get(TENANT_A, 'k')).toBe('old');
      expect((await s.claims.putIfAbsent(TENANT_A, 'k', 'new', MINUTE)).created).toBe(false);
      s.clock.advance(1);
      expect(await s.claims.get(TENANT_A, 'k')).toBeNull();
      const at = s.clock.now();
      expect(await s.claims.putIfAbsent(TENANT_A, 'k', 'new', MINUTE)).toEqual({
        created: true,
        value: 'new',
      });
      expect(await s.raw.readClaim(TENANT_A, 'k')).toEqual({
        value: 'new',
        count: 0,
        expiresAt: at + MINUTE,
      });

      // Racers on an expired record: still exactly one winner.
      s.clock.advance(MINUTE);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => s.claims.putIfAbsent(TENANT_A, 'k', `again-${i}`, MINUTE)),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('keeps values exactly (unicode, empty, the largest allowed)', async () => {
      const s = subject();
      const values = ['', '{"topic":812,"by":"tg:1"}', 'ünïcödé 🚨\n\ttabs', 'x'.repeat(8 * 1024)];
      for (const [i, value] of values.entries()) {
        expect(await s.claims.putIfAbsent(TENANT_A, `v${i}`, value, MINUTE)).toEqual({
          created: true,
          value,
        });
        expect(await s.claims.get(TENANT_A, `v${i}`)).toBe(value);
        expect((await s.raw.readClaim(TENANT_A, `v${i}`))?.value).toBe(value);
      }
    });

    it('deletes a record (no-op when absent) so it can be claimed again', async () => {
      const s = subject();
      await s.claims.putIfAbsent(TENANT_A, 'pending:add:abc', 'spec', MINUTE);
      await s.claims.putIfAbsent(TENANT_B, 'pending:add:abc', 'other tenant', MINUTE);
      await s.claims.delete(TENANT_A, 'pending:add:abc');
      expect(await s.claims.get(TENANT_A, 'pending:add:abc')).toBeNull();
      expect(await s.raw.readClaim(TENANT_A, 'pending:add:abc')).toBeNull();
      expect(await s.claims.get(TENANT_B, 'pending:add:abc')).toBe('other tenant');
      await s.claims.delete(TENANT_A, 'pending:add:abc');
      await s.claims.delete(TENANT_A, 'never-there');
      expect((await s.claims.putIfAbsent(TENANT_A, 'pending:add:abc', 'again', MINUTE)).created).toBe(true);
    });
  });
}
