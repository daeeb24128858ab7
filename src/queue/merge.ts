import { sameConversation } from '../core/keys.js';
import type { AgentWork, QueuedMessage } from './types.js';

/**
 * How a tenant's conversations take messages that arrived while a turn was running: `merge` — the
 * agent items waiting in a conversation's queue become one next turn (in order, each verbatim);
 * `one-by-one` — a turn each. Resolved per tenant id.
 */
export type BusyMessages = 'merge' | 'one-by-one';
export type BusyPolicy = (tenant: string) => BusyMessages;

/** Most items in one merged turn, and most characters of their texts together. */
export const MAX_MERGED_ITEMS = 10;
export const MAX_MERGED_CHARS = 64_000;

/** One queue item as the consumer sees it: the decoded message (if it decodes) and whether this is its first delivery. */
export interface Pending<T> {
  item: T;
  message: QueuedMessage | undefined;
  firstDelivery: boolean;
}

/** A run of items handed to the handler as one message (the first item's, with the others merged in). */
export interface Unit<T> {
  items: T[];
  message: QueuedMessage | undefined;
}

/**
 * Groups consecutive items of one conversation into units. Only agent items on their first
 * delivery are merged: a re-delivered item runs on its own, so a turn run again is never regrouped
 * (the turn ledger records which messages a merged turn answered; see `exactly-once.ts`).
 * Everything else (commands, undecodable items, other conversations) stays a unit of its own, in order.
 */
export function coalesce<T>(pending: readonly Pending<T>[], policy: BusyPolicy): Array<Unit<T>> {
  const units: Array<Unit<T>> = [];
  let open: { unit: Unit<T>; head: AgentWork; chars: number } | undefined;
  for (const p of pending) {
    const m = p.message;
    const joinable =
      open !== undefined &&
      m !== undefined &&
      m.kind === 'agent' &&
      p.firstDelivery &&
      sameConversation(open.head.key, m.key) &&
      open.unit.items.length < MAX_MERGED_ITEMS &&
      open.chars + m.text.length <= MAX_MERGED_CHARS;
    if (open && joinable && m?.kind === 'agent') {
      open.unit.items.push(p.item);
      open.chars += m.text.length;
      open.head.merged = [...(open.head.merged ?? []), m];
      continue;
    }
    if (m !== undefined && m.kind === 'agent' && p.firstDelivery && policy(m.key.tenant) === 'merge') {
      // A copy: merging must not change the item the queue holds (it may be handed out again).
      const head: AgentWork = { ...m };
      const unit: Unit<T> = { items: [p.item], message: head };
      units.push(unit);
      open = { unit, head, chars: m.text.length };
    } else {
      units.push({ items: [p.item], message: m });
      open = undefined;
    }
  }
  return units;
}

/** Every tenant merges (the default setting). */
export const mergeAll: BusyPolicy = () => 'merge';
