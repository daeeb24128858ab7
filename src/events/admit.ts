import { DAY_MS } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import type { ClaimStore } from '../schedules/claims.js';
import type { EventRoute } from './types.js';

/** How long an event id is remembered: a state change delivered again within 7 days is a duplicate. */
export const EVENT_DEDUPE_TTL_MS = 7 * DAY_MS;

export const dedupeKey = (eventId: string): string => `ev:${eventId}`;

/** Claims the event id; false when another delivery of the same state change already did. */
export async function claimEvent(
  claims: ClaimStore,
  tenant: TenantId,
  eventId: string,
  route: string,
): Promise<boolean> {
  const { created } = await claims.putIfAbsent(tenant, dedupeKey(eventId), route, EVENT_DEDUPE_TTL_MS);
  return created;
}

/** Gives the claim back (the enqueue failed: the sender's retry must run it). */
export const releaseEvent = (claims: ClaimStore, tenant: TenantId, eventId: string): Promise<void> =>
  claims.delete(tenant, dedupeKey(eventId));

export interface RateDecision {
  allowed: boolean;
  /** True for the first refusal of this window: the one that gets a warn log line. */
  firstRefusal: boolean;
  windowStart: number;
}

/**
 * At most `rateLimit.max` investigations per route per fixed window of `perMinutes` (one counter
 * per window: `rate:<route>:<window start>`), shared by every container through the claim store.
 */
export async function takeRateSlot(
  claims: ClaimStore,
  tenant: TenantId,
  route: EventRoute,
  now: number,
): Promise<RateDecision> {
  const windowMs = route.rateLimit.perMinutes * 60_000;
  const windowStart = Math.floor(now / windowMs) * windowMs;
  const ttl = windowStart + windowMs - now;
  const allowed = await claims.increment(
    tenant,
    `rate:${route.name}:${windowStart}`,
    route.rateLimit.max,
    ttl,
  );
  if (allowed) return { allowed, firstRefusal: false, windowStart };
  const warned = await claims.putIfAbsent(tenant, `rate-warned:${route.name}:${windowStart}`, '1', ttl);
  return { allowed, firstRefusal: warned.created, windowStart };
}
