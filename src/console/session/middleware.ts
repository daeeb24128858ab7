import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Clock } from '../../core/clock.js';
import type { ConsoleEnv, ConsoleSessions } from '../types.js';
import { CONSOLE_COOKIE, CSRF_FIELD, CSRF_HEADER, csrfAllowed, isSafeMethod } from './request.js';

/** Where a page without a session sends the browser: the sign-in page, coming back afterwards. */
export function loginPath(next: string): string {
  return `/console/login?next=${encodeURIComponent(next)}`;
}

const HOME = '/console';
const PROBE_ORIGIN = 'http://console.invalid';

/**
 * A same-origin path under `/console` to come back to after sign-in; anything else is the home
 * page. The path is resolved as the browser would (`..`, `%2e%2e`, `//host`, schemes) and must
 * stay on this origin and under `/console`; backslashes and control characters are refused outright.
 */
export function safeNext(next: string | undefined): string {
  if (!next?.startsWith('/') || next.includes('\\') || hasControl(next)) return HOME;
  let url: URL;
  try {
    url = new URL(next, PROBE_ORIGIN);
  } catch {
    return HOME;
  }
  if (url.origin !== PROBE_ORIGIN) return HOME;
  if (url.pathname !== HOME && !url.pathname.startsWith(`${HOME}/`)) return HOME;
  return `${url.pathname}${url.search}`;
}

const hasControl = (text: string): boolean => [...text].some((ch) => ch <= '\u001f' || ch === '\u007f');

/**
 * Pages behind sign-in: a valid cookie sets `session`; without one, a GET is sent to the sign-in
 * page and anything else is refused. A state-changing request (a form post) must pass the CSRF
 * check, with the token in the `_csrf` field or the `x-csrf-token` header.
 */
export function requireSession(sessions: ConsoleSessions, clock: Clock): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const cookie = getCookie(c, CONSOLE_COOKIE);
    const session = cookie === undefined ? undefined : sessions.verify(cookie, clock.now());
    if (!session) {
      if (isSafeMethod(c.req.method)) return c.redirect(loginPath(c.req.path), 303);
      return c.text('sign in again: your console session has expired', 401);
    }
    if (!isSafeMethod(c.req.method)) {
      let presented = c.req.header(CSRF_HEADER);
      if (presented === undefined) {
        const type = c.req.header('content-type') ?? '';
        if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
          const field = (await c.req.parseBody())[CSRF_FIELD];
          if (typeof field === 'string') presented = field;
        }
      }
      if (!csrfAllowed(c.req.raw, session, presented)) {
        return c.text('refused: this request did not come from a console page (CSRF check)', 403);
      }
    }
    c.set('session', session);
    await next();
  };
}
