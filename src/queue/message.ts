import { createHash } from 'node:crypto';
import { z } from 'zod';
import { APPROVAL_DECISIONS } from '../approvals/types.js';
import { APPROVAL_ID_RE } from '../approvals/ids.js';
import type { ApprovalId } from '../approvals/types.js';
import { MAX_EPOCH_MS } from '../core/clock.js';
import { SEGMENT_RE, TENANT_RE } from '../core/ids.js';
import { conversationKey, conversationKeyString } from '../core/keys.js';
import { errorMessage } from '../core/errors.js';
import { QueueMessageFormatError } from './errors.js';
import { MAX_SESSIONS_SHOWN, type QueuedKind, type QueuedMessage, type WorkSource } from './types.js';

/**
 * The work item's wire format (an SQS message body; the in-process queue checks items with it too).
 * JSON, one object; every object is strict (an unknown field is an error, never dropped):
 *
 * ```json
 * { "kind": "agent",      // agent | reset | debug | cost | sessions | switch | setting | approval
 *   "key": { "tenant": "acme", "chat": "-1001234", "thread": "42" },
 *   "source": { "type": "telegram", "updateId": 901, "userId": 7,
 *               "replyTo": { "chatId": -1001234, "threadId": 42, "replyToMessageId": 55 } },
 *   "text": "hello", "messageTime": 1700000000000,     // agent only
 *   "attachments": [{ "kind": "photo", "fileId": "AgAC…", "fileUniqueId": "AQAD…",
 *                     "size": 81234, "messageId": 55 }],   // agent only, optional, ≤ 10
 *   "mediaGroupId": "13579",                               // agent only, optional (an album part)
 *   "sender": { "name": "Alice Smith", "id": 7, "username": "alice" },    // agent only, optional
 *   "quote": { "text": "disk at 91%", "from": { "name": "Bob", "id": 8 }, "fromBot": false } }
 * ```
 *
 * `sender` (groups only) and `quote` (a reply) are what the agent is told about the message
 * (issue 17): an author's `name` ≤ 128 characters, `username` ≤ 64, a quote's `text` ≤ 2000 (the
 * ingress cuts longer ones with `…`; longer ones are refused here). `from` is absent when the
 * replied message's author is unknown or is the bot (`fromBot`).
 *
 * An attachment is what the worker downloads (never the bytes): `kind` photo | document, Telegram's
 * `fileId` (≤ 256 characters) and `fileUniqueId` (≤ 64), and optionally the declared `size` (bytes),
 * a document's `name` (≤ 1024) and `mime` (≤ 256) — both untrusted, the worker recognises files by
 * content — and the `messageId` it came with (album parts are put in message order).
 *
 * A proactive run (issue 16) has its own source instead of a Telegram one:
 *
 * ```json
 * { "kind": "scheduled", "key": { "tenant": "acme", "chat": "-1001234", "thread": "sched-morning" },
 *   "source": { "type": "schedule", "schedule": "morning", "dueAt": "2026-12-02T09:00:00Z" } }
 * { "kind": "alert", "key": { "tenant": "acme", "chat": "-1001234", "thread": "alert-prod" },
 *   "source": { "type": "event", "route": "prod", "eventId": "<32 hex>" },
 *   "alert": { "title": "…", "essentials": ["…"], "prompt": "…",
 *              "target": { "chat": -1001234, "thread": "new" }, "occurredAt": 1700000000000 } }
 * ```
 *
 * `reset`, `debug` and `cost` carry only `kind`, `key` and `source`; `approval` adds
 * `"approvalId": "<22 characters base64url>", "decision": "allow_once" | "allow_conversation" | "deny"`
 * and optionally `"byName"` (the decider's display name, ≤ 128 characters; never the tool input).
 * Conversation management (issue 17): `sessions` adds an optional `"limit"` (1–20); `switch` adds
 * `"sessionId": "<lowercase UUID>"` (its `replyTo.replyToMessageId` is the `/sessions` message);
 * `setting` adds `"field": "model" | "agent"` and optionally `"value"`: a name (the characters of a
 * model alias, ≤ 200) to set, `null` to clear, absent to show. A new kind of work is a new
 * member here and in `QueuedMessage` (types.ts); the worker's exhaustive switch then asks for it.
 */
const int = z.number().int().safe();

/** The conversation, in `core/ids.ts`' grammar: a key that decodes always parses (and is bounded). */
const key = z.strictObject({
  tenant: z.string().regex(TENANT_RE, { error: 'must be a tenant id' }),
  chat: z.string().regex(SEGMENT_RE, { error: 'must be a chat id' }),
  thread: z.string().regex(SEGMENT_RE, { error: 'must be a thread id' }),
});

/** When a message was sent (epoch ms): within a `Date`'s range, so it always renders as a time. */
const messageTime = int.min(0).max(MAX_EPOCH_MS);

const telegramSource = z.strictObject({
  type: z.literal('telegram'),
  updateId: int.nonnegative(),
  userId: int.positive().optional(),
  replyTo: z.strictObject({
    chatId: int,
    threadId: int.positive().optional(),
    replyToMessageId: int.positive().optional(),
  }),
});

const base = { key, source: telegramSource };

/** A session id: a lowercase UUID (`core/ids.ts` `parseSessionId`). */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A model alias or id, an agent name (`sessions/settings.ts`, an alert's `model`). */
const SETTING_NAME_RE = /^[A-Za-z0-9._:/@[\]-]{1,200}$/;

/** `2026-12-02T09:00:00Z` (seconds, optional fraction): a due time between 2000 and 2200. */
const isoDue = z
  .string()
  .max(40)
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/, { error: 'must be an ISO 8601 UTC time' })
  .refine(
    (v) => {
      const t = Date.parse(v);
      return Number.isFinite(t) && t >= Date.UTC(2000, 0, 1) && t < Date.UTC(2200, 0, 1);
    },
    { error: 'must be a real time between 2000 and 2200' },
  );

const scheduleSource = z.strictObject({
  type: z.literal('schedule'),
  schedule: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, { error: 'must be a schedule name' }),
  dueAt: isoDue,
});

const eventSource = z.strictObject({
  type: z.literal('event'),
  route: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, { error: 'must be a route name' }),
  eventId: z.string().regex(/^[0-9a-f]{32}$/, { error: 'must be 32 lowercase hex characters' }),
});

const proactiveTarget = z.strictObject({
  chat: int.refine((n) => n !== 0, { error: 'must be a chat id' }),
  thread: z.union([z.literal('new'), int.positive()]).optional(),
});

/** One line of text without control characters other than tab. */
const line = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((v) => ![...v].some((c) => (c < ' ' && c !== '\t') || c === '\u007f'), {
      error: 'must be one line',
    });

const alertPayload = z.strictObject({
  title: line(120),
  essentials: z.array(line(300)).max(12),
  prompt: z.string().min(1).max(16_000),
  target: proactiveTarget,
  occurredAt: int.min(Date.UTC(2000, 0, 1)).max(Date.UTC(2200, 0, 1)),
  model: z
    .string()
    .regex(/^[A-Za-z0-9._:/@[\]-]{1,200}$/)
    .optional(),
});

/** A Telegram message carries one photo or document; a merged turn's are on its members. */
export const MAX_WIRE_ATTACHMENTS = 10;

const attachment = z.strictObject({
  kind: z.enum(['photo', 'document']),
  fileId: z.string().min(1).max(256),
  fileUniqueId: z.string().min(1).max(64),
  size: int.nonnegative().optional(),
  name: z.string().max(1024).optional(),
  mime: z.string().max(256).optional(),
  messageId: int.positive(),
});

/** Bounds of what the agent is told about a message (issue 17); the ingress cuts to them. */
export const MAX_AUTHOR_NAME = 128;
export const MAX_USERNAME = 64;
export const MAX_QUOTE_TEXT = 2000;

const author = z.strictObject({
  name: z.string().max(MAX_AUTHOR_NAME),
  id: int,
  username: z.string().min(1).max(MAX_USERNAME).optional(),
});

const quote = z.strictObject({
  text: z.string().max(MAX_QUOTE_TEXT),
  from: author.optional(),
  fromBot: z.boolean(),
});

/** The work item's wire schema (today's format, documented above). */
export const QUEUE_WIRE_SCHEMA = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('agent'),
    ...base,
    text: z.string().max(64_000),
    messageTime,
    attachments: z.array(attachment).max(MAX_WIRE_ATTACHMENTS).optional(),
    mediaGroupId: z.string().min(1).max(64).optional(),
    sender: author.optional(),
    quote: quote.optional(),
  }),
  z.strictObject({ kind: z.literal('reset'), ...base }),
  z.strictObject({ kind: z.literal('debug'), ...base }),
  z.strictObject({ kind: z.literal('cost'), ...base }),
  z.strictObject({
    kind: z.literal('sessions'),
    ...base,
    limit: int.min(1).max(MAX_SESSIONS_SHOWN).optional(),
  }),
  z.strictObject({
    kind: z.literal('switch'),
    ...base,
    sessionId: z.string().regex(UUID_RE, { error: 'must be a lowercase UUID' }),
  }),
  z.strictObject({
    kind: z.literal('setting'),
    ...base,
    field: z.enum(['model', 'agent']),
    value: z
      .string()
      .regex(SETTING_NAME_RE, { error: 'must be a model alias or agent name' })
      .nullable()
      .optional(),
  }),
  z.strictObject({
    kind: z.literal('approval'),
    ...base,
    approvalId: z
      .string()
      .regex(APPROVAL_ID_RE, { error: 'must be an approval id (22 characters base64url)' })
      .transform((id) => id as ApprovalId),
    decision: z.enum(APPROVAL_DECISIONS),
    byName: z.string().max(128).optional(),
  }),
  z.strictObject({ kind: z.literal('scheduled'), key, source: scheduleSource }),
  z.strictObject({ kind: z.literal('alert'), key, source: eventSource, alert: alertPayload }),
]);

/**
 * The format before work items had a `source` (Telegram fields at the top level). Messages already
 * on the queue when this version deploys are still in it; they are read into today's shape rather
 * than dead-lettered. Only the encoder of today's format exists.
 */
export const LEGACY_QUEUE_WIRE_SCHEMA = z
  .strictObject({
    key,
    updateId: int.nonnegative(),
    kind: z.enum(['agent', 'reset', 'debug', 'cost']),
    text: z.string().max(64_000),
    messageTime,
    chatId: int,
    threadId: int.positive().optional(),
    replyToMessageId: int.positive().optional(),
    userId: int.positive().optional(),
  })
  .transform(({ key, updateId, kind, text, messageTime, chatId, threadId, replyToMessageId, userId }) => {
    const source = {
      type: 'telegram' as const,
      updateId,
      ...(userId !== undefined ? { userId } : {}),
      replyTo: {
        chatId,
        ...(threadId !== undefined ? { threadId } : {}),
        ...(replyToMessageId !== undefined ? { replyToMessageId } : {}),
      },
    };
    return kind === 'agent' ? { kind, key, source, text, messageTime } : { kind, key, source };
  });

const isLegacy = (raw: unknown): boolean =>
  typeof raw === 'object' && raw !== null && !('source' in raw) && ('updateId' in raw || 'chatId' in raw);

/** Every kind the codec accepts (the `kind` options of the wire schema). */
export const QUEUED_KINDS: readonly QueuedKind[] = QUEUE_WIRE_SCHEMA.options.map((o) => o.shape.kind.value);

/** The Telegram update id of a work item that came from one (undefined for a proactive run). */
export function updateIdOf(message: Pick<QueuedMessage, 'source'>): number | undefined {
  return message.source.type === 'telegram' ? message.source.updateId : undefined;
}

/** SQS `MessageGroupId` (and the in-process queue's lane): `tenant:chat:thread`. */
export function messageGroupId(message: Pick<QueuedMessage, 'key'>): string {
  return conversationKeyString(message.key);
}

/**
 * The source's own id of the work, unique within the tenant: the Telegram update id,
 * `sch:<schedule>:<due epoch ms>`, `ev:<event id>`. Also the turn ledger's request id of a
 * proactive run (the worker's `sourceId(message.source)`).
 */
export function sourceId(source: WorkSource): string {
  switch (source.type) {
    case 'telegram':
      return String(source.updateId);
    case 'schedule':
      return `sch:${source.schedule}:${Date.parse(source.dueAt)}`;
    case 'event':
      return `ev:${source.eventId}`;
  }
}

/**
 * SQS `MessageDeduplicationId`: a hash of tenant + the source's id (Telegram: `update_id`), so a
 * re-delivery of the same update is dropped by the queue even if the ingress dedupe missed it.
 */
export function messageDeduplicationId(message: Pick<QueuedMessage, 'key' | 'source'>): string {
  return createHash('sha256')
    .update(`${message.key.tenant}\n${sourceId(message.source)}`)
    .digest('hex');
}

/** Serialize for a queue body (JSON). */
export function encodeQueuedMessage(message: QueuedMessage): string {
  return JSON.stringify(message);
}

/** Parse and validate a queue body; throws `QueueMessageFormatError` (naming an unknown kind). */
export function decodeQueuedMessage(body: string): QueuedMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw new QueueMessageFormatError(`[queue] body is not JSON: ${errorMessage(err)}`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const got = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`;
    throw new QueueMessageFormatError(`[queue] body must be a JSON object, got ${got}`);
  }
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(QUEUED_KINDS as readonly string[]).includes(kind)) {
    const named = typeof kind === 'string' ? `"${kind.slice(0, 64)}"` : String(kind);
    throw new QueueMessageFormatError(
      `[queue] unknown work item kind ${named} (known: ${QUEUED_KINDS.join(', ')})`,
    );
  }
  const parsed = isLegacy(raw) ? LEGACY_QUEUE_WIRE_SCHEMA.safeParse(raw) : QUEUE_WIRE_SCHEMA.safeParse(raw);
  if (!parsed.success) {
    throw new QueueMessageFormatError(`[queue] invalid ${kind} work item: ${issuesText(parsed.error)}`);
  }
  try {
    return { ...parsed.data, key: conversationKey(parsed.data.key) };
  } catch (err) {
    throw new QueueMessageFormatError(`[queue] invalid conversation key: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/** Each issue as `path: message` (`key.tenant: must be a tenant id`), so the error names its field. */
function issuesText(error: z.ZodError): string {
  const at = (path: readonly PropertyKey[]) => path.map(String).join('.') || '(root)';
  return error.issues
    .flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => `${at([...issue.path, k])}: unknown field`)
        : [`${at(issue.path)}: ${issue.message}`],
    )
    .slice(0, 5)
    .join('; ');
}
