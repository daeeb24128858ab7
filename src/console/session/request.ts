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
 * origin, and it carries the session's CSRF token. "Came from this origin" is `Sec-Fetch-Site:
 * same-origin` where the browser sends it (every current one), else an `Origin` equal to the
 * request's own. A form post from a page with `Referrer-Policy: no-referrer` (every console page)
 * carries `Origin: null`, so `null` is no evidence either way; any other Origin must be ours.
 */
export function csrfAllowed(
  request: Request,
  session: ConsoleSession,
  presented: string | undefined,
): boolean {
  const site = request.headers.get('sec-fetch-site');
  const origin = request.headers.get('origin');
  const named = origin !== null && origin !== 'null';
  const ours = named && (origin === new URL(request.url).origin || forwardedOriginMatches(request, origin));
  if (site !== null ? site !== 'same-origin' || (named && !ours) : !ours) return false;
  return presented !== undefined && constantTimeEqual(presented, session.csrfToken);
}

/** Behind a TLS-terminating proxy (Lambda Function URL) the request URL may say http: compare host too. */
function forwardedOriginMatches(request: Request, origin: string): boolean {
  const host = request.headers.get('host');
  const proto = request.headers.get('x-forwarded-proto') ?? 'https';
  return host !== null && origin === `${proto}://${host}`;
}
