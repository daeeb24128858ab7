import { z } from 'zod';

const id = z.union([z.string().min(1).max(64), z.number().int()]);

/** The largest epoch a JavaScript `Date` holds, in ms (100,000,000 days after 1970). */
const MAX_EPOCH_MS = 8.64e15;

/**
 * Message time: ISO-8601 string or epoch seconds (Telegram `date`); epoch ms accepted when ≥ 1e12.
 * Every accepted value is a valid date (`toDate`): seconds below 1e12 are at most 1e15 ms, and ms
 * are capped at `MAX_EPOCH_MS` — larger numbers are a 400 naming the field, never a failed turn.
 */
const messageTime = z.union([
  z
    .string()
    .max(64)
    .refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 date-time'),
  z
    .number()
    .nonnegative()
    .max(MAX_EPOCH_MS, 'epoch seconds or milliseconds within the range of a date (at most 8.64e15 ms)'),
]);

/** Files per message, in either form (JSON `attachments`, multipart `file` parts). */
export const MAX_ATTACHMENTS = 10;

/** Standard base64 (RFC 4648 §4), padding optional; no whitespace or line breaks. */
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

const ATTACHMENT = z.object({
  name: z.string().min(1, 'must not be empty').max(1024),
  data: z
    .string()
    .min(1, 'must not be empty')
    .refine(
      (s) => BASE64_RE.test(s) && s.length % 4 !== 1 && (!s.includes('=') || s.length % 4 === 0),
      'must be standard base64 (A-Z, a-z, 0-9, +, /, = padding; no line breaks)',
    ),
  mime: z.string().max(255).optional(),
});

/** The original's request contract, plus `tenant`. Unknown fields are ignored, as the original did. */
export const CHAT_REQUEST = z.object({
  user_message: z.string().min(1, 'must not be empty').max(100_000),
  chat_id: id,
  thread_id: id.nullish(),
  model: z.string().min(1).max(200).optional(),
  message_time: messageTime.optional(),
  tenant: z.string().min(1).max(64).optional(),
  /**
   * Idempotency key of this message: a retry with the same key (in the same conversation, within
   * 7 days) gets the first call's result back (`replayed`) instead of running the turn again.
   */
  request_id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, "use 1–100 characters A-Z, a-z, 0-9, '_' and '-'")
    .optional(),
  /** Answer with Server-Sent Events (as `Accept: text/event-stream` does); `false` never streams. */
  stream: z.boolean().optional(),
  /**
   * Files sent with the message as base64 (at most `MAX_ATTACHMENTS`; each at most the tenant's
   * `files.maxMb` once decoded). `mime` is a hint only: files are recognised by their content.
   * Multipart requests send `file` parts instead.
   */
  attachments: z
    .array(ATTACHMENT)
    .max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} files per message`)
    .optional(),
});
export type ChatRequest = z.infer<typeof CHAT_REQUEST>;

export function toDate(value: string | number | undefined): Date | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return new Date(value);
  return new Date(value >= 1e12 ? value : value * 1000);
}
