import type { TenantId } from '../core/ids.js';
import { conversationKey, type ConversationKey } from '../core/keys.js';
import type { AlertWork } from '../queue/types.js';
import { renderPrompt } from './template.js';
import type { EventRoute, InboundEvent } from './types.js';

/** The queue lane of a route's alerts: its target chat, thread `alert-<route>` (runs never overlap). */
export function alertLane(tenant: TenantId, route: EventRoute): ConversationKey {
  return conversationKey({ tenant, chat: route.target.chat, thread: `alert-${route.name}` });
}

/** The `alert` work item for an event matched by `route`. */
export function alertWorkOf(
  tenant: TenantId,
  route: EventRoute,
  event: InboundEvent,
  eventId: string,
): AlertWork {
  return {
    kind: 'alert',
    key: alertLane(tenant, route),
    source: { type: 'event', route: route.name, eventId },
    alert: {
      title: event.title,
      essentials: event.essentials.slice(0, 12),
      prompt: renderPrompt(route, event),
      target: {
        chat: route.target.chat,
        ...(route.target.thread !== undefined ? { thread: route.target.thread } : {}),
      },
      occurredAt: event.occurredAt,
      ...(route.model ? { model: route.model } : {}),
    },
  };
}
