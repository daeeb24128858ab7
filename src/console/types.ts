import type { ConversationService } from '../conversations/types.js';
import type { Clock } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { ScheduleService } from '../schedules/index.js';
import type { ApiPrincipal, ApprovalReader } from '../server/index.js';
import type { Storage } from '../sessions/types.js';
import type { Budgets, UsageStore } from '../usage/index.js';

/** A signed-in browser: who it is (the token's scope) and the CSRF token bound to its session. */
export interface ConsoleSession {
  readonly principal: ApiPrincipal;
  /** Sent back as the `x-csrf-token` header (fetch) or the `_csrf` field (forms) on every change. */
  readonly csrfToken: string;
  /** Epoch ms after which the cookie is refused and the browser signs in again. */
  readonly expiresAt: number;
}

/**
 * Console sign-in without server-side state (any container can check any cookie): a cookie signed
 * with a key derived from the API token that signed in (`session/cookie.ts`). Rotating that token
 * ends every session it opened.
 */
export interface ConsoleSessions {
  /** A token checked like a bearer token (constant time, every grant): the new cookie, or undefined. */
  signIn(token: string, now: number): { cookie: string; session: ConsoleSession } | undefined;
  /** The session of a cookie value, or undefined when forged, expired or of a token no longer granted. */
  verify(cookie: string, now: number): ConsoleSession | undefined;
}

/** What the console reads and changes: the API's own services (it is a face on the API, not a second backend). */
export interface ConsoleDeps {
  sessions: ConsoleSessions;
  conversations: ConversationService;
  storage: Storage;
  approvals: ApprovalReader;
  usage?: UsageStore;
  schedules?: ScheduleService;
  /** The deployment's tenants (the picker shows those in the principal's scope). */
  tenants: readonly TenantId[];
  /** A tenant's budgets (its tenants-file entry), shown against its usage. */
  budgets: (tenant: TenantId) => Budgets | undefined;
  clock: Clock;
  logger: Logger;
}

/** Hono environment of the console's pages: the signed-in session once `requireSession` ran. */
export interface ConsoleEnv {
  Bindings: { requestContext?: unknown };
  Variables: { session: ConsoleSession; tenant: TenantId };
}
