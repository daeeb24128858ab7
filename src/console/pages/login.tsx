import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../../core/clock.js';
import { Page } from '../layout.js';
import { safeNext } from '../session/middleware.js';
import { CONSOLE_COOKIE, isSafeMethod } from '../session/request.js';
import type { ConsoleSessions } from '../types.js';

const MAX_TOKEN_CHARS = 4096;

function LoginPage(props: { next: string; failed?: boolean }) {
  return (
    <Page title="Sign in" page="login">
      <section class="login">
        <h1>Sign in</h1>
        <p>Use an API token of this deployment (the same one as `Authorization: Bearer …`).</p>
        {props.failed ? (
          <p class="error" role="alert">
            That token was not accepted.
          </p>
        ) : null}
        <form method="post" action="/console/login">
          <input type="hidden" name="next" value={props.next} />
          <label for="token">API token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required />
          <button type="submit">Sign in</button>
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
 * (httpOnly, SameSite=Strict, Secure over HTTPS), and the cookie cleared.
 */
export function loginRoutes(deps: { sessions: ConsoleSessions; clock: Clock }): Hono {
  const app = new Hono();
  app.get('/login', (c) => c.html(<LoginPage next={safeNext(c.req.query('next'))} />));
  app.post('/login', async (c) => {
    if (!sameOrigin(c.req.raw)) return c.text('refused: sign in from the console page', 403);
    const form = await c.req.parseBody();
    const next = safeNext(typeof form['next'] === 'string' ? form['next'] : undefined);
    const token = typeof form['token'] === 'string' ? form['token'].trim() : '';
    const signedIn =
      token.length > 0 && token.length <= MAX_TOKEN_CHARS
        ? deps.sessions.signIn(token, deps.clock.now())
        : undefined;
    if (!signedIn) return c.html(<LoginPage next={next} failed />, 401);
    setCookie(c, CONSOLE_COOKIE, signedIn.cookie, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c.req.raw),
      path: '/',
      expires: new Date(signedIn.session.expiresAt),
    });
    return c.redirect(next, 303);
  });
  app.post('/logout', (c) => {
    if (isSafeMethod(c.req.method) || !sameOrigin(c.req.raw)) return c.text('refused', 403);
    deleteCookie(c, CONSOLE_COOKIE, { path: '/', secure: isHttps(c.req.raw) });
    return c.redirect('/console/login', 303);
  });
  return app;
}
