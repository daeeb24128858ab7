import type { ConversationKey } from '../core/keys.js';

/**
 * What a queued item asks the worker to do, in conversation order:
 * - `agent`: run an agent turn with `text` and reply;
 * - `reset`: `/new` — forget the conversation's session (ordered after earlier turns);
 * - `debug`: `/debug` — send the conversation's transcript files as documents;
 * - `cost`: `/cost` — report the conversation's usage.
 */
export type QueuedKind = 'agent' | 'reset' | 'debug' | 'cost';

/** One unit of work for a conversation, produced by the Telegram ingress. */
export interface QueuedMessage {
  key: ConversationKey;
  /** Telegram `update_id` (with the tenant, the idempotency key of the message). */
  updateId: number;
  kind: QueuedKind;
  /** The prompt for `agent`; empty for the other kinds. */
  text: string;
  /** When the user sent it (epoch ms, from Telegram's `date`). */
  messageTime: number;
  /** Telegram chat id to reply in. */
  chatId: number;
  /** Forum topic to reply in; absent in private chats and the General topic. */
  threadId?: number;
  /** The user's message, to reply to. */
  replyToMessageId?: number;
  /** Telegram user id of the sender. */
  userId?: number;
}

/** Delivery metadata handed to a handler with each message. */
export interface Delivery {
  /** 1 on the first delivery; SQS `ApproximateReceiveCount`. */
  receiveCount: number;
  /** After this many failed receives the message is dead-lettered (5). */
  maxReceives: number;
}

/**
 * Processes one message. Resolve = done (deleted); throw = retry later (the message stays first in
 * its conversation, so later messages of that conversation wait). Handlers decide which errors are
 * worth a retry and swallow the rest.
 */
export type QueueHandler = (message: QueuedMessage, delivery: Delivery) => Promise<void>;

/** Called when a message failed `maxReceives` times and leaves the queue (the local DLQ). */
export type DeadLetterHandler = (
  message: QueuedMessage,
  error: unknown,
  delivery: Delivery,
) => void | Promise<void>;

/**
 * Producer side of the per-conversation FIFO: messages of one conversation are processed in
 * order, one in flight at a time; different conversations run concurrently. Enqueuing the same
 * (tenant, updateId) twice within the dedupe window is a no-op. Throws `QueueError` if the
 * message could not be accepted (the caller should let Telegram retry).
 */
export interface ConversationQueue {
  enqueue(message: QueuedMessage): Promise<void>;
}

/** A running consumer (long polling or in-process). */
export interface QueueConsumer {
  /** Stop receiving; resolves when in-flight messages are finished. */
  stop(): Promise<void>;
}

export const DEFAULT_MAX_RECEIVES = 5;
