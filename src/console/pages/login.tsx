import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../../core/clock.js';
import { Page } from '../layout.js';
import { safeNext } from '../session/middleware.js';
import { CONSOLE_COOKIE, CSRF_FIELD, CSRF_HEADER, csrfAllowed } from '../session/request.js';
import { clientAddress, createSignInThrottle, type SignInThrottle } from '../session/throttle.js';
import type { ConsoleSessions } from '../types.js';

const MAX_TOKEN_CHARS = 4096;

/** Why the form is shown again; never which part of a token was wrong. */
type Refusal = { kind: 'failed' } | { kind: 'throttled'; minutes: number };

function LoginPage(props: { next: string; refusal?: Refusal }) {
  const { refusal } = props;
  return (
    <Page title="Sign in" page="login">
      <section class="login" aria-labelledby="login-title">
        <h1 id="login-title">Sign in</h1>
        <p>
          Use an API token of this deployment: the same one as <code>Authorization: Bearer …</code>. Signing
          in keeps you signed in for 12 hours in this browser.
        </p>
        {refusal ? (
          <p class="error" role="alert">
            {refusal.kind === 'failed'
              ? 'That token was not accepted. Check it and try again.'
              : `Too many failed sign-ins from this address. Try again in ${refusal.minutes} minute${refusal.minutes === 1 ? '' : 's'}.`}
          </p>
        ) : null}
        <form method="post" action="/console/login" id="login-form">
          <input type="hidden" name="next" value={props.next} />
          <label for="token">API token</label>
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="current-password"
            spellcheck={false}
            required
          />
          <button type="submit" class="primary">
            Sign in
          </button>
        </form>
      </section>
    </Page>
  );
}

const isHttps = (request: Request): boolean =>
  new URL(request.url).protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';

/** A sign-in form post must come from this origin's page (no login CSRF). */
function sameOrigin(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) return site === 'same-origin';
  const origin = request.headers.get('origin');
  return origin !== null && origin === new URL(request.url).origin;
}

/**
 * `GET|POST /console/login` and `POST /console/logout`: a token exchanged for the session cookie
 * (httpOnly, SameSite=Strict, Secure over HTTPS), and the cookie cleared. A refused token is a 401
 * with the form again; too many from one address within minutes are a 429 (`SignInThrottle`).
 */
export function loginRoutes(deps: {
  sessions: ConsoleSessions;
  clock: Clock;
  throttle?: SignInThrottle;
}): Hono {
  const app = new Hono();
  const throttle = deps.throttle ?? createSignInThrottle();
  app.get('/login', (c) => c.html(<LoginPage next={safeNext(c.req.query('next'))} />));
  app.post('/login', async (c) => {
    if (!sameOrigin(c.req.raw)) return c.text('refused: sign in from the console page', 403);
    const form = await c.req.parseBody();
    const next = safeNext(typeof form['next'] === 'string' ? form['next'] : undefined);
    const now = deps.clock.now();
    const address = clientAddress(c.env);
    const wait = throttle.retryAfterMs(address, now);
    if (wait > 0) {
      c.header('retry-after', String(Math.ceil(wait / 1000)));
      const minutes = Math.ceil(wait / 60_000);
      return c.html(<LoginPage next={next} refusal={{ kind: 'throttled', minutes }} />, 429);
    }
    const token = typeof form['token'] === 'string' ? form['token'].trim() : '';
    const signedIn =
      token.length > 0 && token.length <= MAX_TOKEN_CHARS ? deps.sessions.signIn(token, now) : undefined;
    if (!signedIn) {
      throttle.failed(address, now);
      return c.html(<LoginPage next={next} refusal={{ kind: 'failed' }} />, 401);
    }
    throttle.succeeded(address);
    setCookie(c, CONSOLE_COOKIE, signedIn.cookie, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c.req.raw),
      path: '/',
      expires: new Date(signedIn.session.expiresAt),
    });
    return c.redirect(next, 303);
  });
  // Signing out changes state too: same origin, and with a live session its CSRF token.
  app.post('/logout', async (c) => {
    if (!sameOrigin(c.req.raw)) return c.text('refused: sign out from a console page', 403);
    const cookie = getCookie(c, CONSOLE_COOKIE);
    const session = cookie === undefined ? undefined : deps.sessions.verify(cookie, deps.clock.now());
    if (session) {
      const field = (await c.req.parseBody())[CSRF_FIELD];
      const presented = c.req.header(CSRF_HEADER) ?? (typeof field === 'string' ? field : undefined);
      if (!csrfAllowed(c.req.raw, session, presented)) {
        return c.text('refused: this request did not come from a console page (CSRF check)', 403);
      }
    }
    deleteCookie(c, CONSOLE_COOKIE, { path: '/', secure: isHttps(c.req.raw) });
    return c.redirect('/console/login', 303);
  });
  return app;
}
