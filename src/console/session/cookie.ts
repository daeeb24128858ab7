import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HOUR_MS } from '../../core/clock.js';
import { constantTimeEqual, type TokenGrant } from '../../server/index.js';
import type { ConsoleSession, ConsoleSessions } from '../types.js';

/** How long a console sign-in lasts (then the browser asks for the token again). */
export const CONSOLE_SESSION_TTL_MS = 12 * HOUR_MS;

const KEY_CONTEXT = 'omnicloud-console-session-v1';
const MAX_COOKIE_CHARS = 1024;

interface Payload {
  /** Label of the grant that signed in (`env`, `admin[0]`, `<tenant>[1]`): names the key, never the token. */
  g: string;
  /** Random per sign-in; the CSRF token is derived from it. */
  n: string;
  /** Expiry, epoch ms. */
  e: number;
}

const b64 = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');
const mac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest();

function parsePayload(text: string): Payload | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { g, n, e } = value as Record<string, unknown>;
    if (typeof g !== 'string' || typeof n !== 'string' || typeof e !== 'number') return undefined;
    return { g, n, e };
  } catch {
    return undefined;
  }
}

/**
 * Console sessions as signed cookies: `<payload>.<HMAC-SHA256>` where the key is derived from the
 * API token that signed in, so nothing is stored server-side and every container checks every
 * cookie. The scope is read from the grant at each request (never from the cookie); rotating or
 * removing a token ends the sessions it opened. Grants are labelled uniquely (`tokenGrants`).
 */
export function createConsoleSessions(
  grants: readonly TokenGrant[],
  options: { ttlMs?: number } = {},
): ConsoleSessions {
  const ttl = options.ttlMs ?? CONSOLE_SESSION_TTL_MS;
  const byLabel = new Map<string, { grant: TokenGrant; key: Buffer }>();
  for (const grant of grants) {
    const label = grant.label ?? 'default';
    if (byLabel.has(label)) throw new Error(`[console:session] two API tokens share the label ${label}`);
    byLabel.set(label, { grant, key: mac(Buffer.from(grant.token, 'utf8'), KEY_CONTEXT) });
  }

  const sessionOf = (label: string, key: Buffer, grant: TokenGrant, payload: Payload): ConsoleSession => ({
    principal: { mode: 'token', subject: `console:${label}`, tenants: grant.tenants },
    csrfToken: b64(mac(key, `csrf:${payload.n}`)),
    expiresAt: payload.e,
  });

  return {
    signIn(token, now) {
      // Every grant is compared (no early exit), as the bearer check does.
      let found: string | undefined;
      for (const [label, { grant }] of byLabel) {
        if (constantTimeEqual(token, grant.token) && found === undefined) found = label;
      }
      const entry = found === undefined ? undefined : byLabel.get(found);
      if (found === undefined || !entry) return undefined;
      const payload: Payload = { g: found, n: b64(randomBytes(18)), e: now + ttl };
      const body = b64(JSON.stringify(payload));
      const cookie = `${body}.${b64(mac(entry.key, body))}`;
      return { cookie, session: sessionOf(found, entry.key, entry.grant, payload) };
    },
    verify(cookie, now) {
      if (cookie.length > MAX_COOKIE_CHARS) return undefined;
      const dot = cookie.indexOf('.');
      if (dot <= 0) return undefined;
      const body = cookie.slice(0, dot);
      const payload = parsePayload(body);
      if (!payload || payload.e <= now) return undefined;
      const entry = byLabel.get(payload.g);
      if (!entry) return undefined;
      const presented = Buffer.from(cookie.slice(dot + 1), 'base64url');
      const expected = mac(entry.key, body);
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
      return sessionOf(payload.g, entry.key, entry.grant, payload);
    },
  };
}
