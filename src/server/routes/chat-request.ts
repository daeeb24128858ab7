import { z } from 'zod';
import { base64Length } from '../../agent/user-content.js';
import { MAX_EPOCH_MS } from '../../core/clock.js';
import { SEGMENT_RE, TENANT_RE } from '../../core/ids.js';
import { MAX_SEND_BYTES } from '../../files/types.js';
import { SETTING_RE } from '../../sessions/settings.js';

/** A chat or thread id: an integer, or text in the grammar every key is built from (`core/ids.ts`). */
const id = z.union([
  z.string().regex(SEGMENT_RE, "use an integer or 1–64 characters A-Z, a-z, 0-9, '_' and '-'"),
  z.number().int(),
]);

/**
 * Message time: ISO-8601 date-time (RFC 3339: years 0000–9999, `Z`, an offset or none) or epoch
 * seconds (Telegram `date`); epoch ms accepted when ≥ 1e12. Every accepted value is a valid date
 * (`toDate`): seconds below 1e12 are at most 1e15 ms, and ms are capped at `MAX_EPOCH_MS` — larger
 * numbers are a 400 naming the field, never a failed turn. Free-form dates `Date.parse` would guess
 * at (`"1"`, `"Tuesday 5"`) are refused.
 */
const messageTime = z.union([
  z.iso
    .datetime({ offset: true, local: true, error: 'expected an ISO-8601 date-time' })
    .max(64)
    .refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 date-time'),
  z
    .number()
    .nonnegative()
    .max(MAX_EPOCH_MS, 'epoch seconds or milliseconds within the range of a date (at most 8.64e15 ms)'),
]);

/** Files per message, in either form (JSON `attachments`, multipart `file` parts). */
export const MAX_ATTACHMENTS = 10;

/**
 * Standard base64 (RFC 4648 §4), padding optional; no whitespace or line breaks. A pattern (not a
 * refinement) so the schema's JSON Schema, and the cases derived from it, carry the rule.
 */
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** Base64 characters of the largest file any tenant may allow (`MAX_SEND_BYTES`; the tenant's own cap is checked once decoded). */
const MAX_ATTACHMENT_BASE64 = base64Length(MAX_SEND_BYTES);

/**
 * Characters of a file name as sent (JSON `attachments[].name`, a multipart part's filename):
 * Telegram's own `file_name` limit. Names are sanitised to at most `MAX_NAME_BYTES` when stored.
 */
export const MAX_ATTACHMENT_NAME = 1024;

const ATTACHMENT = z.object({
  name: z.string().min(1, 'must not be empty').max(MAX_ATTACHMENT_NAME),
  data: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_ATTACHMENT_BASE64, `at most ${MAX_ATTACHMENT_BASE64} characters (a 50 MB file)`)
    .regex(BASE64_RE, 'must be standard base64 (A-Z, a-z, 0-9, +, /, = padding; no line breaks)'),
  mime: z.string().max(255).optional(),
});

/** The original's request contract, plus `tenant`. Unknown fields are ignored, as the original did. */
export const CHAT_REQUEST = z.object({
  user_message: z.string().min(1, 'must not be empty').max(100_000),
  chat_id: id,
  thread_id: id.nullish(),
  /** A model alias or id, passed to the SDK: the characters of a conversation's `model` setting. */
  model: z.string().regex(SETTING_RE, 'use 1–200 characters A-Z, a-z, 0-9 and . _ : / @ [ ] -').optional(),
  message_time: messageTime.optional(),
  tenant: z.string().regex(TENANT_RE, "use 1–32 characters a-z, 0-9 and '-' (not at the ends)").optional(),
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
