import { describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import { ApiError, createTokenAuth, type TokenGrant } from '../../server/index.js';
import { withConsoleSessions } from './api-auth.js';
import { createConsoleSessions } from './cookie.js';
import { parseTenantId } from '../../core/ids.js';

const ADMIN = 'admin-token-0123456789abcdef0123456789';
const ALPHA = 'alpha-token-0123456789abcdef0123456789';
const GRANTS: TokenGrant[] = [
  { token: ADMIN, tenants: 'all', label: 'admin[0]' },
  { token: ALPHA, tenants: [parseTenantId('alpha')], label: 'alpha[0]' },
];
const ORIGIN = 'http://console.test';

const sessions = createConsoleSessions(GRANTS);
const auth = withConsoleSessions(createTokenAuth(GRANTS), sessions, systemClock);
const signedIn = sessions.signIn(ALPHA, Date.now());
if (!signedIn) throw new Error('sign-in refused');
const { cookie, session } = signedIn;

function request(method: string, headers: Record<string, string>): Request {
  return new Request(`${ORIGIN}/v1/chat`, { method, headers });
}
const withCookie = (extra: Record<string, string> = {}) => ({
  cookie: `other=1; omni_console=${cookie}`,
  ...extra,
});

async function statusOf(req: Request): Promise<number> {
  try {
    await auth.authorize({ request: req });
    return 200;
  } catch (err) {
    if (err instanceof ApiError) return err.status;
    throw err;
  }
}

describe('withConsoleSessions (the API accepting a signed-in console)', () => {
  it('a bearer token works as before, and wins over a cookie', async () => {
    const principal = await auth.authorize({
      request: request('POST', withCookie({ authorization: `Bearer ${ADMIN}` })),
    });
    expect(principal).toEqual({ mode: 'token', subject: 'token:admin[0]', tenants: 'all' });
    expect(await statusOf(request('POST', { authorization: 'Bearer wrong' }))).toBe(401);
    expect(await statusOf(request('GET', {}))).toBe(401);
  });

  it('a cookie GET is that session’s principal (the grant’s scope)', async () => {
    const principal = await auth.authorize({ request: request('GET', withCookie()) });
    expect(principal).toEqual({
      mode: 'token',
      subject: 'console:alpha[0]',
      tenants: [parseTenantId('alpha')],
    });
  });

  it('refuses a forged or foreign cookie', async () => {
    expect(await statusOf(request('GET', { cookie: `omni_console=${cookie}x` }))).toBe(401);
    expect(await statusOf(request('GET', { cookie: 'omni_console=abc.def' }))).toBe(401);
  });

  it('a cookie POST needs the x-csrf-token header of its session', async () => {
    const same = { 'sec-fetch-site': 'same-origin', origin: ORIGIN };
    expect(await statusOf(request('POST', withCookie(same)))).toBe(401);
    expect(await statusOf(request('POST', withCookie({ ...same, 'x-csrf-token': 'wrong' })))).toBe(401);
    const other = sessions.signIn(ALPHA, Date.now())?.session.csrfToken ?? '';
    expect(await statusOf(request('POST', withCookie({ ...same, 'x-csrf-token': other })))).toBe(401);
    expect(
      await statusOf(request('DELETE', withCookie({ ...same, 'x-csrf-token': session.csrfToken }))),
    ).toBe(200);
  });

  it('…and must come from this origin, even with the right token', async () => {
    const csrf = { 'x-csrf-token': session.csrfToken };
    const refused: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: 'http://console.test:8080' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
      {}, // neither header: an old or non-browser client with a stolen cookie
    ];
    for (const headers of refused) {
      expect(
        await statusOf(request('POST', withCookie({ ...csrf, ...headers }))),
        JSON.stringify(headers),
      ).toBe(401);
    }
    expect(await statusOf(request('POST', withCookie({ ...csrf, origin: ORIGIN })))).toBe(200);
    // A form post from a no-referrer page: `Origin: null`, and the browser's own word on the site.
    expect(
      await statusOf(
        request('POST', withCookie({ ...csrf, origin: 'null', 'sec-fetch-site': 'same-origin' })),
      ),
    ).toBe(200);
    expect(
      await statusOf(
        request(
          'POST',
          withCookie({ ...csrf, origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }),
        ),
      ),
    ).toBe(401);
    expect(await statusOf(request('POST', withCookie({ ...csrf, 'sec-fetch-site': 'same-origin' })))).toBe(
      200,
    );
  });

  it('behind a TLS-terminating proxy the Origin is compared with the Host and forwarded scheme', async () => {
    const req = new Request('http://10.0.0.7:8080/v1/chat', {
      method: 'POST',
      headers: withCookie({
        host: 'console.example.com',
        'x-forwarded-proto': 'https',
        origin: 'https://console.example.com',
        'x-csrf-token': session.csrfToken,
      }),
    });
    expect(await statusOf(req)).toBe(200);
  });
});
