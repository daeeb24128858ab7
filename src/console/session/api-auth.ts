import { unauthorized, type ApiAuth } from '../../server/index.js';
import type { Clock } from '../../core/clock.js';
import type { ConsoleSessions } from '../types.js';
import { CONSOLE_COOKIE, CSRF_HEADER, cookieValue, csrfAllowed, isSafeMethod } from './request.js';

/**
 * The API's auth, also accepting a signed-in console: a request with an `Authorization` header is
 * the bearer check as before; one without it but with the console cookie is that session's
 * principal, and a state-changing one must pass the CSRF check (`csrfAllowed`), else 403-free 401:
 * a forged request learns nothing about why.
 */
export function withConsoleSessions(inner: ApiAuth, sessions: ConsoleSessions, clock: Clock): ApiAuth {
  return {
    mode: inner.mode,
    async authorize(input) {
      const { request } = input;
      if (request.headers.has('authorization')) return inner.authorize(input);
      const cookie = cookieValue(request.headers.get('cookie'), CONSOLE_COOKIE);
      if (cookie === undefined) return inner.authorize(input);
      const session = sessions.verify(cookie, clock.now());
      if (!session) throw unauthorized('console session expired or invalid: sign in again');
      if (!isSafeMethod(request.method)) {
        const presented = request.headers.get(CSRF_HEADER) ?? undefined;
        if (!csrfAllowed(request, session, presented)) {
          throw unauthorized('console request without a valid CSRF token or from another origin');
        }
      }
      return session.principal;
    },
  };
}
