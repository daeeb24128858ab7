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

/**
 * A due run of a schedule (issue 16): put on the queue by EventBridge Scheduler (its body is this
 * item, `dueAt` filled in from `<aws.scheduler.scheduled-time>`) or by the local scheduler. The run
 * reads the schedule from the store when it runs; `(schedule, dueAt)` is its idempotency key.
 */
export interface ScheduleSource {
  type: 'schedule';
  /** The schedule's name (`ScheduleName`) in the item's tenant. */
  schedule: string;
  /** The due time, ISO 8601 UTC (`2026-12-02T09:00:00Z`). */
  dueAt: string;
}

/**
 * An event (a CloudWatch alarm through SNS, an Alertmanager webhook, a generic JSON event) matched
 * by a route of the tenant's `events.yaml`; `eventId` is its dedupe id (alarm + state + time…).
 */
export interface EventSource {
  type: 'event';
  /** The route's name. */
  route: string;
  /** 32 lowercase hex characters (a SHA-256 prefix of what identifies the event). */
  eventId: string;
}

/** Where a work item came from. */
export type WorkSource = TelegramSource | ScheduleSource | EventSource;

interface WorkBase {
  /** The conversation: the queue runs one item per conversation at a time, in order. */
  key: ConversationKey;
  source: TelegramSource;
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

/**
 * Who wrote a Telegram message (issue 17): a user, or a chat posting as itself (a channel, a
 * group's anonymous admins). Cut to the wire's bounds by the ingress (`MAX_AUTHOR_NAME`, …).
 */
export interface TelegramAuthor {
  /** Display name: first and last name, or the chat's title (≤ 128 characters). */
  name: string;
  /** Telegram user id, or the chat id of a chat posting as itself. */
  id: number;
  /** Username without the `@` (≤ 64 characters). */
  username?: string;
}

/**
 * What a Telegram message replies to (issue 17): the fragment the user quoted, else the replied
 * message's text or caption (≤ 2000 characters, cut with `…`), and its author.
 */
export interface TelegramQuote {
  text: string;
  /** The replied message's author; absent when unknown or when it is the bot's own message. */
  from?: TelegramAuthor;
  /** The replied message is this bot's own (an earlier answer). */
  fromBot: boolean;
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
  /** Who sent it: set in groups only (in a private chat it is always the same person). */
  sender?: TelegramAuthor;
  /** What it replies to, in any chat. */
  quote?: TelegramQuote;
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

/** `/sessions [n]`: list the conversation's recent sessions, with a button to switch to each. */
export interface SessionsWork extends WorkBase {
  kind: 'sessions';
  /** How many to show (1–`MAX_SESSIONS_SHOWN`); default 10. */
  limit?: number;
}

/**
 * A tap on a `/sessions` button: continue `sessionId` in this conversation (the button's message's
 * chat and topic, never the data). `source.replyTo.replyToMessageId` is the list message, which the
 * worker refreshes.
 */
export interface SwitchWork extends WorkBase {
  kind: 'switch';
  /** A lowercase UUID (checked again by the service: a session of this conversation). */
  sessionId: string;
}

/**
 * `/model [alias]`, `/agent [name]`: show the conversation's setting (no `value`), set it (a name,
 * checked against the tenant's choices by the worker) or clear it back to the default (`null`).
 */
export interface SettingWork extends WorkBase {
  kind: 'setting';
  field: 'model' | 'agent';
  value?: string | null;
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
 * Where a proactive run posts: a chat, and a forum topic id, `'new'` (a topic of its own, created by
 * the worker on the first run and kept) or nothing (the chat itself).
 */
export interface ProactiveTarget {
  chat: number;
  thread?: number | 'new';
}

/**
 * Run a schedule's prompt (issue 16). `key` is the schedule's lane (`thread` = `sched-<name>`), so
 * runs of one schedule never overlap; the turn itself runs in the target conversation (the
 * schedule's own topic, the target topic or the chat), under that conversation's lease.
 */
export interface ScheduledWork {
  kind: 'scheduled';
  key: ConversationKey;
  source: ScheduleSource;
}

/** What an alert run shows and asks, rendered by the events endpoint from the route. */
export interface AlertPayload {
  /** One line: the topic name of a new thread and the first line of the essentials (≤ 120 chars). */
  title: string;
  /** The alarm's essentials, shown before the agent's findings (≤ 12 lines of ≤ 300 chars). */
  essentials: string[];
  /** The prompt: the route's template filled with the event (≤ 16,000 chars). */
  prompt: string;
  target: ProactiveTarget;
  /** When the event happened (epoch ms: the alarm's state change, the alert's start). */
  occurredAt: number;
  /** Optional model alias or id of the route. */
  model?: string;
}

/**
 * Investigate an event (issue 16). `key` is the route's lane in the target chat (`thread` =
 * `alert-<route>`); the turn runs in the target conversation (a new topic per event, the target
 * topic or the chat).
 */
export interface AlertWork {
  kind: 'alert';
  key: ConversationKey;
  source: EventSource;
  alert: AlertPayload;
}

/**
 * One unit of work for a conversation: a discriminated union on `kind`, the extension point for
 * new kinds of work on the same per-conversation queue. The wire format and its codec are in
 * `message.ts` (decoded once, at the queue boundary; unknown kinds are rejected).
 */
export type QueuedMessage =
  | AgentWork
  | ResetWork
  | DebugWork
  | CostWork
  | SessionsWork
  | SwitchWork
  | SettingWork
  | ApprovalWork
  | ScheduledWork
  | AlertWork;

/** Work items that came from a Telegram update (they carry a reply target). */
export type TelegramWork = Extract<QueuedMessage, { source: TelegramSource }>;

/** Work items started by the system (a schedule, an event), not by a message. */
export type ProactiveWork = ScheduledWork | AlertWork;

export type QueuedKind = QueuedMessage['kind'];

/** Delivery metadata handed to a handler with each message. */
export interface Delivery {
  /** 1 on the first delivery; SQS `ApproximateReceiveCount`. */
  receiveCount: number;
  /** After this many failed receives the message is dead-lettered (5). */
  maxReceives: number;
  /**
   * The handler may defer this message: throwing `DeliveryDeferredError` (core/delivery-deferred)
   * brings it back at the error's `untilMs`, in its place in the conversation's order, without
   * counting as a failure (the reply outbox). Set by the SQS batch handler when it can make a
   * record visible again at a given time, and only while at least two receives remain, so a
   * deferral never dead-letters the message; absent elsewhere (the in-process queue waits).
   */
  defer?: true;
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

/** The most sessions `/sessions` lists at once (the list and its buttons stay within one message). */
export const MAX_SESSIONS_SHOWN = 20;
