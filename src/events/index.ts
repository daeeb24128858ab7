/**
 * The alert event endpoint (issue 16): `POST /v1/events/:tenant` takes a CloudWatch alarm through
 * SNS (signature verified, subscriptions confirmed for listed topics), an Alertmanager webhook or
 * a generic JSON event, routes it with the tenant's `events.yaml`, dedupes and rate-limits it and
 * queues one `alert` work item. See docs/events.md.
 */
export { eventRoutes, type EventRoutesDeps, type EventStatus, type EventTenant } from './route.js';
export { alertLane, alertWorkOf } from './work.js';
export { awsSnsUrlPolicy, createSnsVerifier, type SnsUrlPolicy, type SnsVerifier } from './sns-verify.js';
export type { EventRoute, InboundEvent } from './types.js';
