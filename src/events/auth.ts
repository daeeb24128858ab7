import { constantTimeEqual } from '../server/auth.js';

/** The realm SNS is challenged with (it sends the subscription URL's credentials only after a 401). */
export const EVENTS_REALM = 'omnicloud-events';

/**
 * The token a request presents: `Authorization: Bearer <token>`, or `Basic base64(<user>:<token>)`
 * (SNS HTTPS subscriptions can only send credentials from `https://user:token@host/…`). The user
 * name is ignored.
 */
export function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (bearer?.[1]) return bearer[1];
  const basic = /^Basic[ \t]+([A-Za-z0-9+/=]{1,1024})[ \t]*$/i.exec(header);
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const token = colon < 0 ? '' : decoded.slice(colon + 1);
  return token.length > 0 ? token : undefined;
}

/** Compared in constant time against every token (no early exit: timing does not tell which). */
export function tokenAccepted(presented: string, tokens: readonly string[]): boolean {
  let ok = false;
  for (const token of tokens) {
    if (token.length > 0 && constantTimeEqual(presented, token)) ok = true;
  }
  return ok;
}
