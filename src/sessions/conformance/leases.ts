import { describe, expect, it } from 'vitest';
import { FencedWriteError, LeaseConflictError } from '../../core/errors.js';
import type { ConformanceHarness } from '../conformance.js';
import { conversation, entries, expectStored, newSessionKey, sleep, subKey, useSubject } from './fixtures.js';

const TTL = 30_000;

/** Single-writer leases with fencing tokens, and fenced transcript writes. */
export function leaseTests(harness: ConformanceHarness): void {
  describe('leases', () => {
    const subject = useSubject(harness);

    it('acquires a lease with an integer token, an owner and an expiry', async () => {
      const s = subject();
      const key = conversation();
      const lease = await s.storage.leases.acquire(key, { ttlMs: TTL });
      expect(lease.key).toEqual(key);
      expect(Number.isSafeInteger(lease.token)).toBe(true);
      expect(lease.token).toBeGreaterThan(0);
      expect(typeof lease.owner).toBe('string');
      expect(lease.owner.length).toBeGreaterThan(0);
      expect(lease.expiresAt).toBe(s.clock.now() + TTL);
    });

    it('refuses a second holder with LeaseConflictError; other conversations are free', async () => {
      const s = subject();
      const key = conversation();
      await s.storage.leases.acquire(key, { ttlMs: TTL });
      await expect(s.storage.leases.acquire(key, { ttlMs: TTL })).rejects.toBeInstanceOf(LeaseConflictError);
      s.clock.advance(TTL - 1);
      await expect(s.storage.leases.acquire(key)).rejects.toBeInstanceOf(LeaseConflictError);
      await expect(s.storage.leases.acquire(conversation(), { ttlMs: TTL })).resolves.toBeDefined();
    });

    it('release lets the next acquire in, with a higher token', async () => {
      const s = subject();
      const key = conversation();
      const first = await s.storage.leases.acquire(key, { ttlMs: TTL });
      await s.storage.leases.release(first);
      const second = await s.storage.leases.acquire(key, { ttlMs: TTL });
      expect(second.token).toBeGreaterThan(first.token);
      await s.storage.leases.release(second);
      const third = await s.storage.leases.acquire(key, { ttlMs: TTL });
      expect(third.token).toBeGreaterThan(second.token);
    });

    it('an expired lease is taken over with a higher token', async () => {
      const s = subject();
      const key = conversation();
      const first = await s.storage.leases.acquire(key, { ttlMs: TTL });
      s.clock.advance(TTL + 1);
      const second = await s.storage.leases.acquire(key, { ttlMs: TTL });
      expect(second.token).toBeGreaterThan(first.token);
      expect(second.owner).not.toBe(first.owner);
    });

    it('heartbeat extends the lease past its first expiry', async () => {
      const s = subject();
      const key = conversation();
      const lease = await s.storage.leases.acquire(key, { ttlMs: TTL });
      s.clock.advance(TTL / 2);
      const extended = await s.storage.leases.heartbeat(lease, TTL);
      expect(extended.token).toBe(lease.token);
      expect(extended.owner).toBe(lease.owner);
      expect(extended.expiresAt).toBe(s.clock.now() + TTL);
      s.clock.advance(TTL / 2 + 1000);
      await expect(s.storage.leases.acquire(key, { ttlMs: TTL })).rejects.toBeInstanceOf(LeaseConflictError);
      const again = await s.storage.leases.heartbeat(extended, TTL);
      const session = newSessionKey();
      await s.storage.transcriptsFor(again).append(session, entries(1));
      expect(await s.raw.readEntries(session)).toHaveLength(1);
    });

    it('heartbeat after a takeover fails with FencedWriteError', async () => {
      const s = subject();
      const key = conversation();
      const lost = await s.storage.leases.acquire(key, { ttlMs: TTL });
      s.clock.advance(TTL + 1);
      const winner = await s.storage.leases.acquire(key, { ttlMs: TTL });
      await expect(s.storage.leases.heartbeat(lost, TTL)).rejects.toBeInstanceOf(FencedWriteError);
      // Releasing a lost lease is silent and leaves the new holder in place.
      await expect(s.storage.leases.release(lost)).resolves.toBeUndefined();
      await expect(s.storage.leases.acquire(key, { ttlMs: TTL })).rejects.toBeInstanceOf(LeaseConflictError);
      await expect(s.storage.leases.heartbeat(winner, TTL)).resolves.toMatchObject({ token: winner.token });
    });

    it('heartbeat after release fails with FencedWriteError', async () => {
      const s = subject();
      const lease = await s.storage.leases.acquire(conversation(), { ttlMs: TTL });
      await s.storage.leases.release(lease);
      await expect(s.storage.leases.heartbeat(lease, TTL)).rejects.toBeInstanceOf(FencedWriteError);
    });

    it('fenced appends succeed while the lease is held', async () => {
      const s = subject();
      const lease = await s.storage.leases.acquire(conversation(), { ttlMs: TTL });
      const fenced = s.storage.transcriptsFor(lease);
      const key = newSessionKey();
      const sub = subKey(key, 'subagents/agent-abc');
      const batch = entries(3);
      await fenced.append(key, batch);
      await fenced.append(sub, batch.slice(0, 1));
      await expectStored(s, key, batch);
      expect(await fenced.load(key)).toEqual(await s.storage.transcripts.load(key));
      expect(await fenced.listSubkeys(key)).toEqual(['subagents/agent-abc']);
    });

    it('fenced appends are rejected with FencedWriteError after a takeover, and nothing is written', async () => {
      const s = subject();
      const key = conversation();
      const lost = await s.storage.leases.acquire(key, { ttlMs: TTL });
      const session = newSessionKey();
      const before = entries(2);
      await s.storage.transcriptsFor(lost).append(session, before);
      s.clock.advance(TTL + 1);
      const winner = await s.storage.leases.acquire(key, { ttlMs: TTL });
      const late = entries(2, 'late');
      await expect(s.storage.transcriptsFor(lost).append(session, late)).rejects.toBeInstanceOf(
        FencedWriteError,
      );
      await expect(s.storage.transcriptsFor(lost).append(newSessionKey(), late)).rejects.toBeInstanceOf(
        FencedWriteError,
      );
      await expectStored(s, session, before);
      expect((await s.storage.transcripts.stat(session))!.entries).toBe(2);

      const next = entries(1, 'winner');
      await s.storage.transcriptsFor(winner).append(session, next);
      await expectStored(s, session, [...before, ...next]);
    });

    it('fenced appends are rejected once the lease expired, even before a takeover', async () => {
      const s = subject();
      const lease = await s.storage.leases.acquire(conversation(), { ttlMs: TTL });
      const session = newSessionKey();
      s.clock.advance(TTL + 1);
      await expect(s.storage.transcriptsFor(lease).append(session, entries(1))).rejects.toBeInstanceOf(
        FencedWriteError,
      );
      await expectStored(s, session, null);
    });

    it('fenced appends are rejected after release', async () => {
      const s = subject();
      const lease = await s.storage.leases.acquire(conversation(), { ttlMs: TTL });
      await s.storage.leases.release(lease);
      const session = newSessionKey();
      await expect(s.storage.transcriptsFor(lease).append(session, entries(1))).rejects.toBeInstanceOf(
        FencedWriteError,
      );
      await expectStored(s, session, null);
    });

    it('a stop request marks the running turn only, from another handle, and never creates a lease', async () => {
      const s = subject();
      const key = conversation();
      await expect(s.storage.leases.requestStop(key)).resolves.toEqual({ stopping: false });
      await expect(s.storage.leases.current(key)).resolves.toBeNull();
      const lease = await s.storage.leases.acquire(key, { ttlMs: TTL });
      await expect(s.storage.leases.current(key)).resolves.toEqual({ turn: lease.token });
      await expect(s.storage.leases.stopRequested(lease)).resolves.toBe(false);
      // A stop for another turn (a button of an earlier turn) stops nothing.
      await expect(s.storage.leases.requestStop(key, { turn: lease.token + 1 })).resolves.toEqual({
        stopping: false,
      });
      await expect(s.storage.leases.stopRequested(lease)).resolves.toBe(false);
      await expect(s.storage.leases.requestStop(key, { turn: lease.token })).resolves.toEqual({
        stopping: true,
        turn: lease.token,
      });
      await expect(s.storage.leases.stopRequested(lease)).resolves.toBe(true);
      // The stop belongs to that turn: the next holder is not stopped by it.
      await s.storage.leases.release(lease);
      await expect(s.storage.leases.current(key)).resolves.toBeNull();
      await expect(s.storage.leases.requestStop(key)).resolves.toEqual({ stopping: false });
      const next = await s.storage.leases.acquire(key, { ttlMs: TTL });
      await expect(s.storage.leases.stopRequested(next)).resolves.toBe(false);
      await expect(s.storage.leases.requestStop(key)).resolves.toEqual({ stopping: true, turn: next.token });
      await expect(s.storage.leases.stopRequested(next)).resolves.toBe(true);
      // An expired lease runs nothing: there is nothing to stop.
      s.clock.advance(TTL + 1);
      await expect(s.storage.leases.current(key)).resolves.toBeNull();
      await expect(s.storage.leases.requestStop(key)).resolves.toEqual({ stopping: false });
    });

    it('waitMs waits for the holder to release', async () => {
      const s = subject();
      const key = conversation();
      const held = await s.storage.leases.acquire(key, { ttlMs: TTL });
      const waiting = s.storage.leases.acquire(key, { ttlMs: TTL, waitMs: 10_000 });
      await sleep(150);
      await s.storage.leases.release(held);
      const next = await waiting;
      expect(next.token).toBeGreaterThan(held.token);
    });

    it('waitMs gives up with LeaseConflictError when the holder keeps the lease', async () => {
      const s = subject();
      const key = conversation();
      await s.storage.leases.acquire(key, { ttlMs: TTL });
      const started = Date.now();
      await expect(s.storage.leases.acquire(key, { ttlMs: TTL, waitMs: 200 })).rejects.toBeInstanceOf(
        LeaseConflictError,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    });

    it('only one of many concurrent acquires wins', async () => {
      const s = subject();
      const key = conversation();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => s.storage.leases.acquire(key, { ttlMs: TTL })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LeaseConflictError);
      }
    });
  });
}
