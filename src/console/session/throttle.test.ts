import { describe, expect, it } from 'vitest';
import { clientAddress, createSignInThrottle } from './throttle.js';

describe('createSignInThrottle', () => {
  it('refuses an address after maxFailures within the window, until the window has passed', () => {
    const t = createSignInThrottle({ maxFailures: 3, windowMs: 1000 });
    for (let i = 0; i < 3; i++) {
      expect(t.retryAfterMs('a', 100)).toBe(0);
      t.failed('a', 100 + i);
    }
    expect(t.retryAfterMs('a', 500)).toBe(600);
    expect(t.retryAfterMs('b', 500)).toBe(0);
    expect(t.retryAfterMs('a', 1100)).toBe(0);
  });

  it('a success forgets the address', () => {
    const t = createSignInThrottle({ maxFailures: 2, windowMs: 1000 });
    t.failed('a', 0);
    t.succeeded('a');
    t.failed('a', 1);
    expect(t.retryAfterMs('a', 2)).toBe(0);
  });

  it('remembers at most maxAddresses (the oldest go first)', () => {
    const t = createSignInThrottle({ maxFailures: 1, windowMs: 1000, maxAddresses: 2 });
    t.failed('a', 0);
    t.failed('b', 0);
    t.failed('c', 0);
    expect(t.retryAfterMs('a', 1)).toBe(0);
    expect(t.retryAfterMs('c', 1)).toBe(999);
  });
});

describe('clientAddress', () => {
  it('reads the Lambda source IP or the Node socket, never a header', () => {
    expect(clientAddress({ requestContext: { http: { sourceIp: '198.51.100.7' } } })).toBe('198.51.100.7');
    expect(clientAddress({ incoming: { socket: { remoteAddress: '127.0.0.1' } } })).toBe('127.0.0.1');
    expect(clientAddress(undefined)).toBe('unknown');
    expect(clientAddress({ requestContext: 'x' })).toBe('unknown');
  });
});
