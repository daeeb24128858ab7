import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { systemClock, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { isTenantId, type TenantId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { ConversationQueue } from '../queue/types.js';
import type { ClaimStore } from '../schedules/claims.js';
import { ApiError, errorResponse, notFound } from '../server/errors.js';
import { claimEvent, markHandled, releaseEvent, takeRateSlot } from './admit.js';
import { EVENTS_REALM, presentedToken, tokenAccepted } from './auth.js';
import { eventIdOf } from './bounds.js';
import { EventError, EventFormatError } from './errors.js';
import { findRoute, topicAllowed } from './match.js';
import { readInbound } from './normalise.js';
import type { SnsEnvelope } from './sns.js';
import { createSnsVerifier, type SnsUrlPolicy } from './sns-verify.js';
import type { EventRoute, InboundEvent } from './types.js';
import { alertWorkOf } from './work.js';

/** What the endpoint needs to know about one tenant. */
export interface EventTenant {
  /** Accepted tokens (values; never logged). No tokens: the endpoint is off for the tenant (404). */
  tokens: readonly string[];
  /** `events.yaml` of the tenant's agent-config folder, in file order. */
  routes: readonly EventRoute[];
}

export interface EventRoutesDeps {
  /** The tenant's tokens and routes, or undefined when there is no such tenant. */
  tenants(tenant: TenantId): EventTenant | undefined | Promise<EventTenant | undefined>;
  claims: ClaimStore;
  queue: ConversationQueue;
  logger: Logger;
  /** For the SNS signing certificate and subscription confirmations (default global fetch). */
  fetch?: typeof globalThis.fetch;
  clock?: Clock;
  /** Counts rate-limited events (`EventsRateLimited`, by tenant). */
  metrics?: Metrics;
  /** Which URLs SNS certificates and confirmations may come from (default AWS SNS hosts over https). */
  snsUrlPolicy?: SnsUrlPolicy;
  /** Default 256 KiB; larger → 413. */
  maxBodyBytes?: number;
}

export type EventStatus = 'queued' | 'duplicate' | 'rate_limited' | 'no_route' | 'confirmed';
export const DEFAULT_EVENT_BODY_BYTES = 256 * 1024;

/**
 * `POST /:tenant` (mounted at `/v1/events`): a CloudWatch alarm through SNS, an Alertmanager
 * webhook or a generic JSON event → at most one `alert` work item per state change. Answers 202
 * `{ status, event_id? }`; 4xx `{ error: { code, message, issues? } }` naming the field; 503 when
 * the queue refused the item (the dedupe claim is released, so the sender's retry runs it).
 */
export function eventRoutes(deps: EventRoutesDeps): Hono {
  const app = new Hono();
  const clock = deps.clock ?? systemClock;
  const max = deps.maxBodyBytes ?? DEFAULT_EVENT_BODY_BYTES;
  const sns = createSnsVerifier({
    fetch: deps.fetch ?? globalThis.fetch,
    clock,
    ...(deps.snsUrlPolicy ? { urlPolicy: deps.snsUrlPolicy } : {}),
  });
  const reply = (c: Context, status: EventStatus, eventId?: string) =>
    c.json({ status, ...(eventId ? { event_id: eventId } : {}) }, 202);

  app.post(
    '/:tenant',
    bodyLimit({
      maxSize: max,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `request body exceeds ${max} bytes`);
      },
    }),
    async (c) => {
      const id = c.req.param('tenant');
      const tenant = isTenantId(id) ? await deps.tenants(id) : undefined;
      if (!isTenantId(id) || !tenant || tenant.tokens.length === 0) {
        throw notFound('unknown_tenant', 'no event endpoint for this tenant');
      }
      const token = presentedToken(c.req.header('authorization'));
      if (!token || !tokenAccepted(token, tenant.tokens)) {
        c.header('WWW-Authenticate', `Basic realm="${EVENTS_REALM}", charset="UTF-8"`);
        const message = token
          ? 'invalid event token'
          : 'missing token (Authorization: Bearer <token> or Basic)';
        return c.json({ error: { code: 'unauthorized', message } }, 401);
      }
      const log = deps.logger.child({ tenant: id });
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        throw new ApiError(400, 'invalid_json', 'body is not JSON', [
          { path: 'body', message: 'is not JSON' },
        ]);
      }
      const inbound = await readInbound(body, c.req.header('x-amz-sns-message-type'), {
        sns,
        now: clock.now(),
      }).catch((err: unknown) => {
        if (err instanceof EventFormatError) {
          throw new ApiError(400, err.code, err.message, [{ path: err.field, message: err.reason }]);
        }
        throw err;
      });

      if (inbound.kind === 'subscribe') {
        await confirmSubscription(tenant, inbound.envelope, log);
        return reply(c, 'confirmed');
      }
      if (inbound.kind === 'unsubscribe') {
        log.info('[events] SNS unsubscribe confirmation received', { topic: inbound.envelope.TopicArn });
        return reply(c, 'no_route');
      }
      return handleEvent(c, id, tenant, inbound.event, log);
    },
  );

  /** Confirms an SNS subscription (already verified) when a route lists its topic; 403 otherwise. */
  async function confirmSubscription(tenant: EventTenant, envelope: SnsEnvelope, log: Logger) {
    const topic = envelope.TopicArn;
    if (!topicAllowed(tenant.routes, topic)) {
      log.warn('[events] subscription confirmation refused: topic not in events.yaml', { topic });
      throw new ApiError(
        403,
        'topic_not_allowed',
        `topic ${topic} is not listed by any route of events.yaml`,
      );
    }
    try {
      await sns.confirm(envelope);
    } catch (err) {
      if (err instanceof EventError) throw err;
      log.warn('[events] subscription confirmation failed', { topic, err: errorMessage(err) });
      throw new ApiError(503, 'unavailable', 'could not confirm the subscription; SNS will retry');
    }
    log.info('[events] SNS subscription confirmed', { topic });
  }

  async function handleEvent(
    c: Context,
    tenant: TenantId,
    config: EventTenant,
    event: InboundEvent,
    log: Logger,
  ): Promise<Response> {
    const route = findRoute(config.routes, event);
    const eventId = eventIdOf(event.dedupeParts);
    const fields = { source: event.source, event_id: eventId, route: route?.name };
    if (!route) {
      log.info('[events] no route matched', fields);
      return reply(c, 'no_route', eventId);
    }
    const claim = await claimEvent(deps.claims, tenant, eventId, route.name, clock.now());
    if (claim === 'duplicate') {
      log.info('[events] duplicate event', fields);
      return reply(c, 'duplicate', eventId);
    }
    // A recovered event took its rate slot (or was refused) on its first delivery: not again.
    const rate =
      claim === 'recover'
        ? { allowed: true, firstRefusal: false, windowStart: 0 }
        : await takeRateSlot(deps.claims, tenant, route, clock.now());
    if (!rate.allowed) {
      await markHandled(deps.claims, tenant, eventId, 'rate_limited');
      deps.metrics?.emit(
        { EventsRateLimited: { value: 1, unit: 'Count' } },
        { tenant },
        { route: route.name },
      );
      if (rate.firstRefusal) {
        log.warn('[events] route rate limit reached: further events of this window are dropped', {
          ...fields,
          max: route.rateLimit.max,
          per_minutes: route.rateLimit.perMinutes,
          window_start: new Date(rate.windowStart).toISOString(),
        });
      }
      return reply(c, 'rate_limited', eventId);
    }
    try {
      await deps.queue.enqueue(alertWorkOf(tenant, route, event, eventId));
    } catch (err) {
      if (claim === 'claimed') await releaseEvent(deps.claims, tenant, eventId);
      log.error('[events] enqueue failed: claim released, the sender will retry', {
        ...fields,
        err: errorMessage(err),
      });
      throw new ApiError(503, 'unavailable', 'the event could not be queued; retry later');
    }
    await markHandled(deps.claims, tenant, eventId, 'queued');
    if (claim === 'recover')
      log.warn('[events] queued an event whose first delivery died before queueing', fields);
    log.info('[events] alert queued', fields);
    return reply(c, 'queued', eventId);
  }

  app.onError((err, c) => errorResponse(c, err, deps.logger));
  return app;
}
