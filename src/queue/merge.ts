import { sameConversation } from '../core/keys.js';
import type { AgentWork, QueuedMessage } from './types.js';

/**
 * How a tenant's conversations take messages that arrived while a turn was running: `merge` — the
 * agent items waiting in a conversation's queue become one next turn (in order, each verbatim);
 * `one-by-one` — a turn each. Resolved per tenant id. Album parts are joined either way (`coalesce`).
 */
export type BusyMessages = 'merge' | 'one-by-one';
export type BusyPolicy = (tenant: string) => BusyMessages;

/** Most items in one merged turn, and most characters of their texts together. */
export const MAX_MERGED_ITEMS = 10;
export const MAX_MERGED_CHARS = 64_000;

/** Telegram's largest album; the parts of one album may join a merged turn beyond `MAX_MERGED_ITEMS`. */
export const MAX_ALBUM_PARTS = 10;

/**
 * How long the consumers that can wait (the in-process queue, the long-polling SQS consumer) hold
 * an album's first part after it was enqueued before its turn starts, so the album's other parts
 * (separate updates, possibly to other containers, in any order) are waiting by then and join it.
 * Telegram sends an album's updates within a few hundred milliseconds. A part arriving after the
 * album's turn started becomes the next turn (merged with whatever else waits there).
 *
 * The worker Lambda cannot wait: its SQS event source hands it batches AWS assembled
 * (`BatchSize: 1` today). Parts in one batch merge like any consumer's; with one record per
 * batch, every part is a turn of its own, in order, each seeing the earlier ones in the
 * conversation's history.
 */
export const ALBUM_SETTLE_MS = 1000;

/**
 * How long to wait before handing out the conversation's next unit: until the earliest waiting
 * album part has settled (`settleMs` after `enqueuedAt`, epoch ms); 0 when nothing needs to wait.
 */
export function albumSettleDelay(
  waiting: ReadonlyArray<{ message: QueuedMessage | undefined; enqueuedAt: number }>,
  now: number,
  settleMs: number = ALBUM_SETTLE_MS,
): number {
  const first = waiting.find((w) => w.message?.kind === 'agent' && w.message.mediaGroupId !== undefined);
  return first ? Math.max(0, first.enqueuedAt + settleMs - now) : 0;
}

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

interface Open<T> {
  unit: Unit<T>;
  parts: AgentWork[];
  chars: number;
  /** The tenant merges busy messages: any agent item may join, not only the album's parts. */
  mergeAny: boolean;
}

/** Whether `m` is a part of the album `parts` ends with (same conversation, same `mediaGroupId`). */
const continuesAlbum = (parts: readonly AgentWork[], m: AgentWork): boolean => {
  const last = parts.at(-1);
  return (
    m.mediaGroupId !== undefined &&
    last?.mediaGroupId === m.mediaGroupId &&
    parts.filter((p) => p.mediaGroupId === m.mediaGroupId).length < MAX_ALBUM_PARTS
  );
};

/**
 * Groups consecutive items of one conversation into units. Only agent items on their first
 * delivery are merged: a re-delivered item runs on its own, so a turn run again is never regrouped
 * (the turn ledger records which messages a merged turn answered; see `exactly-once.ts`).
 * The parts of one Telegram album (same `mediaGroupId`) are joined whatever the tenant's busy
 * policy; other agent items only when it merges. A unit's album parts are put in message order and
 * a part repeating an earlier part's files (same `fileUniqueId`) is left out of the turn (its item
 * is still in the unit, so it is acknowledged with it). Everything else (commands, undecodable
 * items, other conversations) stays a unit of its own, in order.
 */
export function coalesce<T>(pending: readonly Pending<T>[], policy: BusyPolicy): Array<Unit<T>> {
  const units: Array<Unit<T>> = [];
  let open: Open<T> | undefined;
  for (const p of pending) {
    const m = p.message;
    const agent = m !== undefined && m.kind === 'agent' && p.firstDelivery ? m : undefined;
    if (open && agent && joins(open, agent)) {
      open.unit.items.push(p.item);
      open.parts.push(agent);
      open.chars += agent.text.length;
      continue;
    }
    if (open) close(open);
    open = undefined;
    if (agent && (agent.mediaGroupId !== undefined || policy(agent.key.tenant) === 'merge')) {
      const unit: Unit<T> = { items: [p.item], message: agent };
      units.push(unit);
      open = {
        unit,
        parts: [agent],
        chars: agent.text.length,
        mergeAny: policy(agent.key.tenant) === 'merge',
      };
    } else {
      units.push({ items: [p.item], message: m });
    }
  }
  if (open) close(open);
  return units;
}

function joins<T>(open: Open<T>, m: AgentWork): boolean {
  const head = open.parts[0] as AgentWork;
  if (!sameConversation(head.key, m.key)) return false;
  if (open.chars + m.text.length > MAX_MERGED_CHARS) return false;
  if (continuesAlbum(open.parts, m)) return true;
  return open.mergeAny && open.parts.length < MAX_MERGED_ITEMS;
}

/** The unit's message: its first part with the others merged in (a copy: the queue's items stay untouched). */
function close<T>(open: Open<T>): void {
  if (open.parts.length === 1) return;
  const [head, ...rest] = orderAlbums(open.parts) as [AgentWork, ...AgentWork[]];
  const { merged: _merged, ...own } = head;
  open.unit.message = { ...own, ...(rest.length > 0 ? { merged: rest } : {}) };
}

/** Where a part sits in its chat: the message its files came with (else the one it replies to). */
const messageIdOf = (m: AgentWork): number =>
  m.attachments?.[0]?.messageId ?? m.source.replyTo.replyToMessageId ?? 0;

/**
 * Every run of consecutive parts of one album sorted by message id (parts may be enqueued out of
 * order by concurrent webhook calls), and parts whose files were all seen earlier in the album
 * left out (the same part delivered twice under another update id).
 */
export function orderAlbums(parts: readonly AgentWork[]): AgentWork[] {
  const out: AgentWork[] = [];
  for (let i = 0; i < parts.length;) {
    const group = parts[i]?.mediaGroupId;
    let j = i + 1;
    while (group !== undefined && j < parts.length && parts[j]?.mediaGroupId === group) j++;
    const run = parts.slice(i, j);
    if (group === undefined) out.push(...run);
    else out.push(...dropRepeats([...run].sort((a, b) => messageIdOf(a) - messageIdOf(b))));
    i = j;
  }
  return out;
}

function dropRepeats(run: readonly AgentWork[]): AgentWork[] {
  const seen = new Set<string>();
  return run.filter((part) => {
    const ids = (part.attachments ?? []).map((a) => a.fileUniqueId);
    const repeat = ids.length > 0 && ids.every((id) => seen.has(id));
    for (const id of ids) seen.add(id);
    return !repeat;
  });
}

/** Every tenant merges (the default setting). */
export const mergeAll: BusyPolicy = () => 'merge';
