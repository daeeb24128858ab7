import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import type { ConsoleEnv } from '../types.js';
import { createConsoleSessions } from './cookie.js';
import { requireSession, safeNext } from './middleware.js';
import { parseTenantId } from '../../core/ids.js';

const TOKEN = 'alpha-token-0123456789abcdef0123456789';
const sessions = createConsoleSessions([
  { token: TOKEN, tenants: [parseTenantId('alpha')], label: 'alpha[0]' },
]);
const signedIn = sessions.signIn(TOKEN, Date.now());
if (!signedIn) throw new Error('sign-in refused');
const { cookie, session } = signedIn;

const app = new Hono<ConsoleEnv>();
app.use('*', requireSession(sessions, systemClock));
app.get('/console/page', (c) => c.text(c.get('session').principal.subject));
app.post('/console/act', (c) => c.text('done'));

const ORIGIN = 'http://localhost';
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (headers: Record<string, string>, body?: string) =>
  app.request('/console/act', {
    method: 'POST',
    headers: { cookie: `omni_console=${cookie}`, ...headers },
    ...(body === undefined ? {} : { body }),
  });
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' };

describe('requireSession', () => {
  it('a page without a session sends the browser to sign in, coming back afterwards', async () => {
    const res = await app.request('/console/page');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fpage');
    expect((await app.request('/console/act', { method: 'POST' })).status).toBe(401);
  });

  it('a valid cookie sets the session', async () => {
    const res = await app.request('/console/page', { headers: { cookie: `omni_console=${cookie}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('console:alpha[0]');
  });

  it('a form post without `_csrf` is 403; with it, from this origin, it acts', async () => {
    expect((await post(formHeaders, form({ note: 'x' }))).status).toBe(403);
    expect((await post(formHeaders, form({ _csrf: 'wrong' }))).status).toBe(403);
    expect((await post(formHeaders, form({ _csrf: session.csrfToken }))).status).toBe(200);
    const multipart = new FormData();
    multipart.append('_csrf', session.csrfToken);
    const res = await app.request('/console/act', {
      method: 'POST',
      headers: { cookie: `omni_console=${cookie}`, 'sec-fetch-site': 'same-origin' },
      body: multipart,
    });
    expect(res.status).toBe(200);
  });

  it('the right `_csrf` from another site is still 403', async () => {
    const body = form({ _csrf: session.csrfToken });
    const type = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await post({ ...type, 'sec-fetch-site': 'cross-site' }, body)).status).toBe(403);
    expect((await post({ ...type, 'sec-fetch-site': 'same-site' }, body)).status).toBe(403);
    expect((await post({ ...type, origin: 'https://evil.example' }, body)).status).toBe(403);
    expect((await post({ ...type, origin: ORIGIN }, body)).status).toBe(200);
    // What Chromium sends for a console form (the pages are Referrer-Policy: no-referrer).
    expect((await post({ ...type, origin: 'null', 'sec-fetch-site': 'same-origin' }, body)).status).toBe(200);
    expect((await post({ ...type, origin: 'null' }, body)).status).toBe(403);
  });

  it('a fetch with the x-csrf-token header acts', async () => {
    expect((await post({ 'x-csrf-token': session.csrfToken, 'sec-fetch-site': 'same-origin' })).status).toBe(
      200,
    );
    expect((await post({ 'x-csrf-token': 'nope', 'sec-fetch-site': 'same-origin' })).status).toBe(403);
  });
});

describe('safeNext', () => {
  it('keeps same-origin paths under /console', () => {
    expect(safeNext('/console')).toBe('/console');
    expect(safeNext('/console/t/alpha/chat')).toBe('/console/t/alpha/chat');
    expect(safeNext('/console/t/alpha/conversations?q=disk')).toBe('/console/t/alpha/conversations?q=disk');
  });

  it.each([
    undefined,
    '',
    '//evil.example',
    '//evil.example/console',
    'https://evil.example/console',
    'javascript:alert(1)',
    '/\\evil.example',
    '/console/\\evil.example',
    '/console\\..\\evil',
    '/\t/evil.example',
    '/console\r\nSet-Cookie: x=1',
    '/consolex',
    '/v1/usage/alpha',
    '/',
    '/console/../v1/usage',
    '/console/%2e%2e/v1/usage',
    'console/t/alpha',
  ])('refuses %j (home instead)', (next) => {
    expect(safeNext(next)).toBe('/console');
  });
});
