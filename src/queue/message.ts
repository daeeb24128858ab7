import { createHash } from 'node:crypto';
import { z } from 'zod';
import { conversationKey, conversationKeyString } from '../core/keys.js';
import { errorMessage } from '../core/errors.js';
import { QueueMessageFormatError } from './errors.js';
import type { QueuedMessage } from './types.js';

/** SQS `MessageGroupId` (and the in-process queue's lane): `tenant:chat:thread`. */
export function messageGroupId(message: Pick<QueuedMessage, 'key'>): string {
  return conversationKeyString(message.key);
}

/**
 * SQS `MessageDeduplicationId`: a hash of tenant + update_id, so a Telegram re-delivery of the
 * same update is dropped by the queue even if the ingress dedupe missed it.
 */
export function messageDeduplicationId(message: Pick<QueuedMessage, 'key' | 'updateId'>): string {
  return createHash('sha256').update(`${message.key.tenant}\n${message.updateId}`).digest('hex');
}

const int = z.number().int().safe();
const wireSchema = z.object({
  key: z.object({ tenant: z.string(), chat: z.string(), thread: z.string() }),
  updateId: int.nonnegative(),
  kind: z.enum(['agent', 'reset', 'debug', 'cost']),
  text: z.string().max(64_000),
  messageTime: int.nonnegative(),
  chatId: int,
  threadId: int.positive().optional(),
  replyToMessageId: int.positive().optional(),
  userId: int.positive().optional(),
});

/** Serialize for a queue body (JSON). */
export function encodeQueuedMessage(message: QueuedMessage): string {
  return JSON.stringify(message);
}

/** Parse and validate a queue body; throws `QueueMessageFormatError`. */
export function decodeQueuedMessage(body: string): QueuedMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw new QueueMessageFormatError(`[queue] body is not JSON: ${errorMessage(err)}`, { cause: err });
  }
  const parsed = wireSchema.safeParse(raw);
  if (!parsed.success) {
    throw new QueueMessageFormatError(`[queue] invalid queued message: ${parsed.error.message}`);
  }
  try {
    const { key, ...rest } = parsed.data;
    return { ...rest, key: conversationKey(key) };
  } catch (err) {
    throw new QueueMessageFormatError(`[queue] invalid conversation key: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}
