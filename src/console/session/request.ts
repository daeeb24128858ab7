import { constantTimeEqual } from '../../server/index.js';
import type { ConsoleSession } from '../types.js';

/** The console's session cookie (httpOnly, SameSite=Strict, Secure over HTTPS, path `/`). */
export const CONSOLE_COOKIE = 'omni_console';
/** The header every state-changing `fetch` from the console carries. */
export const CSRF_HEADER = 'x-csrf-token';
/** The field every console form carries. */
export const CSRF_FIELD = '_csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method.toUpperCase());

/** The value of one cookie in a `Cookie` header (first wins), without decoding anything else. */
export function cookieValue(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Whether a state-changing request may act for this session: the browser says it came from this
 * origin (`Sec-Fetch-Site: same-origin`, or an `Origin` equal to the request's own), and it carries
 * the session's CSRF token. Either alone would do against today's browsers; both are cheap.
 */
export function csrfAllowed(
  request: Request,
  session: ConsoleSession,
  presented: string | undefined,
): boolean {
  const site = request.headers.get('sec-fetch-site');
  const origin = request.headers.get('origin');
  const own = new URL(request.url).origin;
  if (site !== null && site !== 'same-origin') return false;
  if (origin !== null && origin !== own && !forwardedOriginMatches(request, origin)) return false;
  if (site === null && origin === null) return false;
  return presented !== undefined && constantTimeEqual(presented, session.csrfToken);
}

/** Behind a TLS-terminating proxy (Lambda Function URL) the request URL may say http: compare host too. */
function forwardedOriginMatches(request: Request, origin: string): boolean {
  const host = request.headers.get('host');
  const proto = request.headers.get('x-forwarded-proto') ?? 'https';
  return host !== null && origin === `${proto}://${host}`;
}
