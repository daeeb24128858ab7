import type { EventRoute, InboundEvent } from './types.js';

/** `prod-*` → /^prod-.*$/ (`*` any run, `?` one character, everything else literal). */
export function globMatches(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}

/** Whether every condition of the route holds for the event (an empty `match` takes everything). */
export function routeMatches(route: EventRoute, event: InboundEvent): boolean {
  const m = route.match;
  if (m.source && m.source !== event.source) return false;
  if (m.alarm && !globMatches(m.alarm, event.alarm)) return false;
  if (m.state && m.state.toLowerCase() !== (event.state ?? '').toLowerCase()) return false;
  if (m.topicArn && !(event.topicArn && m.topicArn.includes(event.topicArn))) return false;
  for (const [name, pattern] of Object.entries(m.labels ?? {})) {
    const value = event.labels[name];
    if (value === undefined || !globMatches(pattern, value)) return false;
  }
  return true;
}

/** The first route that matches (file order), or undefined. */
export function findRoute(routes: readonly EventRoute[], event: InboundEvent): EventRoute | undefined {
  return routes.find((r) => routeMatches(r, event));
}

/** Whether a subscription to `topicArn` may be confirmed: some route lists that topic. */
export function topicAllowed(routes: readonly EventRoute[], topicArn: string): boolean {
  return routes.some((r) => r.match.topicArn?.includes(topicArn) ?? false);
}
