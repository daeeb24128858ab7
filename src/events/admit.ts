import { DAY_MS } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import type { ClaimStore } from '../schedules/claims.js';
import type { EventRoute } from './types.js';

/** How long an event id is remembered: a state change delivered again within 7 days is a duplicate. */
export const EVENT_DEDUPE_TTL_MS = 7 * DAY_MS;

export const dedupeKey = (eventId: string): string => `ev:${eventId}`;
/** Set once the event was handled (queued, or refused by the rate limit). */
const handledKey = (eventId: string): string => `evq:${eventId}`;

/**
 * A claim older than this whose event was never marked handled belongs to a delivery that died
 * between claiming and queueing (an enqueue takes milliseconds): the next delivery queues it.
 */
export const STALE_CLAIM_MS = 60_000;

export type ClaimOutcome = 'claimed' | 'duplicate' | 'recover';

/**
 * Claims the event id (`<route>@<epoch ms>`). `duplicate` when another delivery of the same state
 * change claimed it and handled it (or is handling it right now); `recover` when that delivery
 * claimed it more than `STALE_CLAIM_MS` ago and never marked it handled — it died before queueing,
 * so this one queues it (queueing twice is harmless: the queue's dedupe id and the turn ledger
 * `ev:<id>` make it one run).
 */
export async function claimEvent(
  claims: ClaimStore,
  tenant: TenantId,
  eventId: string,
  route: string,
  now: number,
): Promise<ClaimOutcome> {
  const { created, value } = await claims.putIfAbsent(
    tenant,
    dedupeKey(eventId),
    `${route}@${now}`,
    EVENT_DEDUPE_TTL_MS,
  );
  if (created) return 'claimed';
  const claimedAt = Number(value.slice(value.lastIndexOf('@') + 1));
  if (!Number.isFinite(claimedAt) || now - claimedAt < STALE_CLAIM_MS) return 'duplicate';
  return (await claims.get(tenant, handledKey(eventId))) === null ? 'recover' : 'duplicate';
}

/** Records that the event was queued or refused by the rate limit: later deliveries are duplicates. */
export async function markHandled(
  claims: ClaimStore,
  tenant: TenantId,
  eventId: string,
  how: 'queued' | 'rate_limited',
): Promise<void> {
  await claims.putIfAbsent(tenant, handledKey(eventId), how, EVENT_DEDUPE_TTL_MS);
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
