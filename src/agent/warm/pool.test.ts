import { describe, expect, it } from 'vitest';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import { parseTenantId } from '../../core/ids.js';
import { silentLogger } from '../../core/logger.js';
import { createWarmPool } from './pool.js';
import type { SpareProcess, WarmProcess } from './process.js';

/** A stand-in for a live process: the pool only reads these fields and calls close(). */
function fakeProcess(key: ConversationKey, fingerprint = 'f1'): WarmProcess & { closed: boolean } {
  const p = {
    key,
    sessionId: `s-${key.chat}`,
    fingerprint,
    leaseToken: 0,
    mapTurns: 0,
    settings: {},
    closed: false,
    alive: () => !p.closed,
    storedEntries: () => 0,
    run: () => Promise.reject(new Error('not in this test')),
    close: () => {
      p.closed = true;
    },
    pid: () => 1,
  };
  return p;
}

function fakeSpare(fingerprint = 'f1'): SpareProcess & { closed: boolean } {
  const s = {
    tenant: parseTenantId('acme'),
    sessionId: 'spare-session',
    fingerprint,
    closed: false,
    alive: () => !s.closed,
    pid: () => 2,
    take: (key: ConversationKey) => fakeProcess(key, fingerprint),
    close: () => {
      s.closed = true;
    },
  };
  return s;
}

const key = (chat: string): ConversationKey => conversationKey({ tenant: 'acme', chat });
const pool = (max = 3, now = () => 0) => createWarmPool({ max, idleMs: 60_000, logger: silentLogger, now });

describe('warm pool', () => {
  it('hands a process back only to the next lease token with the same fingerprint', () => {
    const p = pool();
    const a = fakeProcess(key('a'));
    p.admit(a);
    p.put(a, 7);
    expect(p.lastToken(key('a'))).toBe(7);
    expect(p.claim(key('a'), 8, 'f1')).toBe(a);
    p.put(a, 8);
    expect(p.claim(key('a'), 10, 'f1')).toBeNull(); // token 9 was someone else's: stale
    expect(a.closed).toBe(true);
    const b = fakeProcess(key('b'));
    p.admit(b);
    p.put(b, 1);
    expect(p.claim(key('b'), 2, 'f2')).toBeNull(); // changed setup
    expect(p.stats().misses).toMatchObject({ stale: 1, changed: 1 });
    expect(p.claim(key('c'), 1, 'f1')).toBeNull();
    expect(p.stats().misses.absent).toBe(1);
  });

  it('a turn that wrote nothing carries the process to its token; a gap still makes it stale', () => {
    const p = pool();
    const a = fakeProcess(key('a'));
    p.admit(a);
    p.put(a, 4);
    p.carry(key('a'), 5);
    expect(p.lastToken(key('a'))).toBe(5);
    p.carry(key('a'), 7); // token 6 was someone else's: not carried
    expect(p.lastToken(key('a'))).toBe(5);
    expect(p.claim(key('a'), 6, 'f1')).toBe(a);
  });

  it('never reuses a process idle past the idle time, even where no sweep ran (a frozen sandbox)', () => {
    let t = 0;
    const p = createWarmPool({ max: 3, idleMs: 60_000, logger: silentLogger, now: () => t });
    const a = fakeProcess(key('a'));
    p.admit(a);
    p.put(a, 1);
    t = 60_001;
    expect(p.lastToken(key('a'))).toBeUndefined();
    expect(p.claim(key('a'), 2, 'f1')).toBeNull();
    expect(p.stats().misses.expired).toBe(1);
    expect(a.closed).toBe(true);
    p.close();
  });

  it('never hands a dead process out', () => {
    const p = pool();
    const a = fakeProcess(key('a'));
    p.admit(a);
    p.put(a, 1);
    a.closed = true;
    expect(p.lastToken(key('a'))).toBeUndefined();
    expect(p.claim(key('a'), 2, 'f1')).toBeNull();
    expect(p.stats().misses.dead).toBe(1);
  });

  it('keeps at most max processes: spares go first, then the least recently used', () => {
    const p = pool(2);
    const spare = fakeSpare();
    p.ensureSpare(parseTenantId('acme'), 'f1', () => Promise.resolve(spare));
    return Promise.resolve().then(async () => {
      await new Promise((r) => setTimeout(r, 0));
      expect(p.stats().spares).toBe(1);
      const a = fakeProcess(key('a'));
      p.admit(a);
      p.put(a, 1);
      const b = fakeProcess(key('b'));
      p.admit(b);
      p.put(b, 1);
      expect(spare.closed).toBe(true); // the spare made room
      const c = fakeProcess(key('c'));
      p.admit(c);
      p.put(c, 1);
      expect(a.closed).toBe(true); // then the least recently used
      expect(p.stats()).toMatchObject({ live: 2, spares: 0 });
    });
  });

  it('gives a spare only to the same setup, once; a full pool starts none', async () => {
    const p = pool(3);
    const spare = fakeSpare('f1');
    p.ensureSpare(parseTenantId('acme'), 'f1', () => Promise.resolve(spare));
    await new Promise((r) => setTimeout(r, 0));
    expect(p.takeSpare(parseTenantId('acme'), 'f2')).toBeNull();
    expect(p.takeSpare(parseTenantId('other'), 'f1')).toBeNull();
    expect(p.takeSpare(parseTenantId('acme'), 'f1')).toBe(spare);
    expect(p.takeSpare(parseTenantId('acme'), 'f1')).toBeNull();
    expect(p.stats().spareHits).toBe(1);

    const full = pool(1);
    const a = fakeProcess(key('a'));
    full.admit(a);
    full.put(a, 1);
    let started = 0;
    full.ensureSpare(parseTenantId('acme'), 'f1', () => {
      started++;
      return Promise.resolve(fakeSpare());
    });
    expect(started).toBe(0);
  });

  it('closes idle processes after the idle time and everything on close', async () => {
    let t = 0;
    const p = createWarmPool({ max: 3, idleMs: 1_000, logger: silentLogger, now: () => t });
    const a = fakeProcess(key('a'));
    p.admit(a);
    p.put(a, 1);
    const busy = fakeProcess(key('b'));
    p.admit(busy);
    t = 1_500;
    await new Promise((r) => setTimeout(r, 1_100)); // the sweep runs every max(1 s, idle/4)
    expect(a.closed).toBe(true);
    expect(p.stats().evictions.idle).toBe(1);
    let aborted = false;
    p.ensureSpare(parseTenantId('acme'), 'f1', (signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return new Promise(() => {}); // still starting
    });
    p.close();
    expect(busy.closed).toBe(true);
    expect(aborted).toBe(true);
    expect(p.stats().live).toBe(0);
  });
});
