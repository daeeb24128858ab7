import type { ApprovalDecision, ApprovalId } from '../approvals/types.js';
import type { ConversationKey } from '../core/keys.js';

/** Where a Telegram reply goes: the chat, the forum topic (if any), and the message to reply to. */
export interface TelegramReplyTarget {
  chatId: number;
  /** Forum topic; absent in private chats, non-forum groups and the General topic. */
  threadId?: number;
  /** The user's message, to reply to. */
  replyToMessageId?: number;
}

/**
 * A work item that came from a Telegram update: the update id (with the tenant, its idempotency
 * key), the sender, and where the answer goes. Other sources (a schedule, the HTTP API) become
 * other members of `WorkSource` with their own id.
 */
export interface TelegramSource {
  type: 'telegram';
  updateId: number;
  /** Telegram user id of the sender. */
  userId?: number;
  replyTo: TelegramReplyTarget;
}

/** Where a work item came from (and where its answer goes). */
export type WorkSource = TelegramSource;

interface WorkBase {
  /** The conversation: the queue runs one item per conversation at a time, in order. */
  key: ConversationKey;
  source: WorkSource;
}

/**
 * A photo or document of a Telegram message, to download in the worker (never in the ingress: the
 * webhook answers in milliseconds). Names and MIME types are what the client claimed: untrusted.
 */
export interface TelegramAttachment {
  kind: 'photo' | 'document';
  /** `file_id` for `getFile` (≤ 256 characters). */
  fileId: string;
  /** `file_unique_id`: the same file sent twice (an album part delivered again) has the same one. */
  fileUniqueId: string;
  /** Bytes, as Telegram reports them (files over the tenant's cap are refused before downloading). */
  size?: number;
  /** A document's `file_name` (≤ 1024 characters, sanitised when stored). */
  name?: string;
  /** A document's `mime_type` (a hint only: files are recognised by content). */
  mime?: string;
  /** The message it came with (album parts are put in this order). */
  messageId: number;
}

/** Run an agent turn with `text` and reply. */
export interface AgentWork extends WorkBase {
  kind: 'agent';
  /** The prompt. */
  text: string;
  /** When the user sent it (epoch ms, from Telegram's `date`). */
  messageTime: number;
  /** Photos and documents of the message (its caption is `text`). */
  attachments?: TelegramAttachment[];
  /** Telegram `media_group_id`: the parts of one album are answered in one turn. */
  mediaGroupId?: string;
  /**
   * Later agent items of the same conversation that were waiting behind this one, merged into its
   * turn by the consumer (`merge.ts`), in order. Consumer side only: never on the wire.
   */
  merged?: AgentWork[];
}

/** `/new`: forget the conversation's session (ordered after earlier turns). */
export interface ResetWork extends WorkBase {
  kind: 'reset';
}

/** `/debug`: send the conversation's transcript files as documents. */
export interface DebugWork extends WorkBase {
  kind: 'debug';
}

/** `/cost`: report the conversation's (and the sender's) usage. */
export interface CostWork extends WorkBase {
  kind: 'cost';
}

/**
 * A person's decision on the conversation's pending approval request (an inline button tap): the
 * worker continues the deferred tool call with it (`TurnRequest.approval`). Never merged with
 * agent items: it is a turn of its own, in the conversation's order.
 */
export interface ApprovalWork extends WorkBase {
  kind: 'approval';
  approvalId: ApprovalId;
  decision: ApprovalDecision;
  /** The decider's display name (Telegram first name), for the edited request message. */
  byName?: string;
}

/**
 * One unit of work for a conversation: a discriminated union on `kind`, the extension point for
 * new kinds of work on the same per-conversation queue. The wire format and its codec are in
 * `message.ts` (decoded once, at the queue boundary; unknown kinds are rejected).
 */
export type QueuedMessage = AgentWork | ResetWork | DebugWork | CostWork | ApprovalWork;

export type QueuedKind = QueuedMessage['kind'];

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
