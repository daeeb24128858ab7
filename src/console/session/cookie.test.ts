import { describe, expect, it } from 'vitest';
import type { TokenGrant } from '../../server/index.js';
import { createConsoleSessions } from './cookie.js';
import { parseTenantId } from '../../core/ids.js';

const ADMIN = 'admin-token-0123456789abcdef0123456789';
const ALPHA = 'alpha-token-0123456789abcdef0123456789';
const GRANTS: TokenGrant[] = [
  { token: ADMIN, tenants: 'all', label: 'admin[0]' },
  { token: ALPHA, tenants: [parseTenantId('alpha')], label: 'alpha[0]' },
];
const NOW = 1_800_000_000_000;
const TTL = 60_000;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const payloadOf = (cookie: string) =>
  JSON.parse(Buffer.from(cookie.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
const withPayload = (cookie: string, payload: Record<string, unknown>) =>
  `${b64(JSON.stringify(payload))}.${cookie.split('.')[1] ?? ''}`;

function signedIn(token = ALPHA) {
  const sessions = createConsoleSessions(GRANTS, { ttlMs: TTL });
  const result = sessions.signIn(token, NOW);
  if (!result) throw new Error('sign-in refused');
  return { sessions, ...result };
}

describe('createConsoleSessions', () => {
  it('round trip: the cookie verifies to the grant’s principal and the same CSRF token', () => {
    const { sessions, cookie, session } = signedIn();
    const verified = sessions.verify(cookie, NOW + 1);
    expect(verified).toEqual(session);
    expect(verified?.principal).toEqual({
      mode: 'token',
      subject: 'console:alpha[0]',
      tenants: [parseTenantId('alpha')],
    });
    expect(verified?.csrfToken).toMatch(/^[\w-]{43}$/);
    // The cookie names the grant by label, never the token.
    expect(cookie).not.toContain(ALPHA);
    expect(payloadOf(cookie)).toMatchObject({ g: 'alpha[0]', e: NOW + TTL });
  });

  it('each sign-in has its own CSRF token', () => {
    const { sessions, session } = signedIn();
    expect(sessions.signIn(ALPHA, NOW)?.session.csrfToken).not.toBe(session.csrfToken);
  });

  it('refuses an unknown token and an empty one', () => {
    const sessions = createConsoleSessions(GRANTS);
    expect(sessions.signIn('nope', NOW)).toBeUndefined();
    expect(sessions.signIn('', NOW)).toBeUndefined();
  });

  it('refuses a tampered payload and a tampered mac', () => {
    const { sessions, cookie } = signedIn();
    const longer = withPayload(cookie, { ...payloadOf(cookie), e: NOW + 10 * TTL });
    expect(sessions.verify(longer, NOW)).toBeUndefined();
    const [body, mac] = cookie.split('.') as [string, string];
    // A character in the middle (the last one carries 2 unused bits).
    const flipped = `${body}.${mac.slice(0, 10)}${mac[10] === 'A' ? 'B' : 'A'}${mac.slice(11)}`;
    expect(sessions.verify(flipped, NOW)).toBeUndefined();
    expect(sessions.verify(`${body}.`, NOW)).toBeUndefined();
    expect(sessions.verify(body, NOW)).toBeUndefined();
    expect(sessions.verify(`.${mac}`, NOW)).toBeUndefined();
    expect(sessions.verify('not base64 at all.!!', NOW)).toBeUndefined();
  });

  it('refuses an expired cookie (at its expiry and after)', () => {
    const { sessions, cookie } = signedIn();
    expect(sessions.verify(cookie, NOW + TTL - 1)).toBeDefined();
    expect(sessions.verify(cookie, NOW + TTL)).toBeUndefined();
    expect(sessions.verify(cookie, NOW + 2 * TTL)).toBeUndefined();
  });

  it('a rotated token ends the sessions it opened (the key is derived from the token)', () => {
    const { cookie } = signedIn();
    const rotated = createConsoleSessions(
      [
        GRANTS[0]!,
        {
          token: 'alpha-token-rotated-abcdef0123456789',
          tenants: [parseTenantId('alpha')],
          label: 'alpha[0]',
        },
      ],
      { ttlMs: TTL },
    );
    expect(rotated.verify(cookie, NOW)).toBeUndefined();
    // The same grants in another process (another container) accept it: nothing is stored.
    expect(createConsoleSessions(GRANTS).verify(cookie, NOW)).toBeDefined();
  });

  it('refuses a cookie whose label no grant has any more', () => {
    const { cookie } = signedIn();
    const without = createConsoleSessions([GRANTS[0]!]);
    expect(without.verify(cookie, NOW)).toBeUndefined();
  });

  it('refuses a cookie re-labelled to another grant (its mac is of the other key)', () => {
    const { sessions, cookie } = signedIn(ALPHA);
    const relabelled = withPayload(cookie, { ...payloadOf(cookie), g: 'admin[0]' });
    expect(sessions.verify(relabelled, NOW)).toBeUndefined();
  });

  it('refuses an oversized cookie before parsing it', () => {
    const { sessions, cookie } = signedIn();
    const padded = withPayload(cookie, { ...payloadOf(cookie), pad: 'x'.repeat(2000) });
    expect(padded.length).toBeGreaterThan(1024);
    expect(sessions.verify(padded, NOW)).toBeUndefined();
    expect(sessions.verify('a'.repeat(100_000), NOW)).toBeUndefined();
  });

  it('the scope comes from the grant at each check, never from the cookie', () => {
    const { cookie } = signedIn(ALPHA);
    // A payload claiming more is ignored (and does not verify anyway); the grant's scope is used.
    const claims = withPayload(cookie, { ...payloadOf(cookie), tenants: 'all' });
    const sessions = createConsoleSessions(GRANTS, { ttlMs: TTL });
    expect(sessions.verify(claims, NOW)).toBeUndefined();
    // The same token granted a narrower scope later: the old cookie carries the new scope.
    const narrowed = createConsoleSessions([
      { token: ALPHA, tenants: [parseTenantId('beta')], label: 'alpha[0]' },
    ]);
    expect(narrowed.verify(cookie, NOW)?.principal.tenants).toEqual(['beta']);
  });

  it('two grants with the same label are a configuration error', () => {
    expect(() =>
      createConsoleSessions([
        { token: 'a', tenants: 'all', label: 'x' },
        { token: 'b', tenants: 'all', label: 'x' },
      ]),
    ).toThrow(/\[console:session\]/);
  });
});
