import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../core/clock.js';
import { createConsoleSessions } from '../session/cookie.js';
import { createSignInThrottle } from '../session/throttle.js';
import { loginRoutes } from './login.js';
import { parseTenantId } from '../../core/ids.js';

const TOKEN = 'alpha-token-0123456789abcdef0123456789';
const sessions = createConsoleSessions([
  { token: TOKEN, tenants: [parseTenantId('alpha')], label: 'alpha[0]' },
]);
let now = 1_800_000_000_000;
const clock: Clock = { now: () => now };

function app(maxFailures = 10) {
  const a = new Hono();
  a.route('/console', loginRoutes({ sessions, clock, throttle: createSignInThrottle({ maxFailures }) }));
  return a;
}

const SAME = { 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' };
const socket = (ip: string) => ({ incoming: { socket: { remoteAddress: ip } } });

function signIn(
  a: Hono,
  fields: Record<string, string>,
  headers: Record<string, string> = SAME,
  ip = '203.0.113.1',
  url = '/console/login',
) {
  return a.request(
    url,
    { method: 'POST', headers, body: new URLSearchParams(fields).toString() },
    socket(ip),
  );
}

describe('console sign-in routes', () => {
  it('shows the form: a labelled token field and the safe next path', async () => {
    const res = await app().request('/console/login?next=%2F%2Fevil.example');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<label for="token">API token</label>');
    expect(html).toContain('name="next" value="/console"');
    expect(html).not.toContain('role="alert"');
  });

  it('a right token gets the session cookie (httpOnly, SameSite=Strict) and goes to next', async () => {
    const res = await signIn(app(), { token: ` ${TOKEN} `, next: '/console/t/alpha/usage' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/t/alpha/usage');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^omni_console=[\w-]+\.[\w-]+; Path=\/; Expires=.*; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain('Secure');
    const value = /^omni_console=([^;]+)/.exec(cookie)?.[1] ?? '';
    expect(sessions.verify(value, now)?.principal.tenants).toEqual(['alpha']);
  });

  it('over HTTPS (or behind a proxy that says so) the cookie is Secure', async () => {
    const direct = await signIn(
      app(),
      { token: TOKEN },
      SAME,
      '203.0.113.1',
      'https://c.example/console/login',
    );
    expect(direct.headers.get('set-cookie')).toContain('; Secure');
    const proxied = await signIn(app(), { token: TOKEN }, { ...SAME, 'x-forwarded-proto': 'https' });
    expect(proxied.headers.get('set-cookie')).toContain('; Secure');
  });

  it('a wrong token is a 401 with the form again and an alert that says only that', async () => {
    for (const token of ['wrong', TOKEN.slice(0, -1), '', 'x'.repeat(5000)]) {
      const res = await signIn(app(), { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      const html = await res.text();
      expect(html).toContain('role="alert"');
      expect(html).toContain('That token was not accepted.');
    }
  });

  it('a sign-in posted from another site is refused (no login CSRF)', async () => {
    const type = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const headers of [
      { ...type, 'sec-fetch-site': 'cross-site' },
      { ...type, 'sec-fetch-site': 'same-site' },
      { ...type, origin: 'https://evil.example' },
      type,
    ]) {
      const res = await signIn(app(), { token: TOKEN }, headers);
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('after too many failures from one address even the right token waits (429); others do not', async () => {
    const a = app(3);
    for (let i = 0; i < 3; i++) expect((await signIn(a, { token: `guess-${i}` })).status).toBe(401);
    const refused = await signIn(a, { token: TOKEN });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.text()).toContain('Too many failed sign-ins');
    expect((await signIn(a, { token: TOKEN }, SAME, '203.0.113.2')).status).toBe(303);
    now += 5 * 60 * 1000;
    expect((await signIn(a, { token: TOKEN })).status).toBe(303);
  });

  it('sign-out clears the cookie; with a live session it needs the session’s CSRF token', async () => {
    const signed = sessions.signIn(TOKEN, now);
    if (!signed) throw new Error('sign-in refused');
    const logout = (fields: Record<string, string>, headers: Record<string, string> = SAME) =>
      app().request('/console/logout', {
        method: 'POST',
        headers: { ...headers, cookie: `omni_console=${signed.cookie}` },
        body: new URLSearchParams(fields).toString(),
      });
    expect((await logout({})).status).toBe(403);
    expect(
      (await logout({ _csrf: signed.session.csrfToken }, { 'sec-fetch-site': 'cross-site' })).status,
    ).toBe(403);
    const res = await logout({ _csrf: signed.session.csrfToken });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/login');
    expect(res.headers.get('set-cookie')).toMatch(/^omni_console=; Max-Age=0; Path=\//);
  });
});
