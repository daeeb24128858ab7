import { z } from 'zod';
import { MAX_EPOCH_MS } from '../core/clock.js';
import { REQUEST_ID_RE } from '../core/ids.js';
import { conversationKey, type ConversationKey } from '../core/keys.js';
import { isFileId } from '../files/ids.js';
import { MAX_NAME_BYTES, isSanitizedName } from '../files/names.js';
import { FILE_KINDS, type FileId, type SentFile } from '../files/types.js';
import { TURN_ERROR_CODES, type TurnResult } from './types.js';

/**
 * What the runner stores in the turn ledger and gives back on a repeat of the same request: the
 * result, serialized, with the response capped so a record stays far below DynamoDB's 400 KB item
 * limit (a longer reply is replayed cut, with a note).
 */
export const MAX_STORED_RESPONSE_CHARS = 64_000;

/** `error_code` of a turn that was stored but whose reply could not be read back. */
export const TURN_INTERRUPTED = 'turn_interrupted';

const CUT_NOTE = '\n\n[reply cut: it was too long to keep]';
/** Characters of a stored error message (a longer one is stored cut). */
const MAX_STORED_ERROR_CHARS = 8_000;
/** Characters of a stored session id or model (longer ones are stored cut; real ones are far shorter). */
const MAX_STORED_ID_CHARS = 256;
/** Files of one stored result: `send_file` allows 20 per turn (`MAX_FILES_PER_TURN`). */
const MAX_STORED_FILES = 100;
/** Bytes of a sent file: the Bot API's upload limit is 50 MB; this leaves room. */
const MAX_STORED_FILE_BYTES = 2 ** 40;
/** Telegram's caption limit (`MAX_CAPTION_CHARS` of send_file). */
const MAX_STORED_CAPTION_CHARS = 1024;

/** A count or amount (tokens, turns, dollars): never negative, at most 2^53 - 1. */
const amount = z.number().min(0).max(Number.MAX_SAFE_INTEGER);

const USAGE = z.object({
  input_tokens: amount,
  output_tokens: amount,
  cache_creation_input_tokens: amount,
  cache_read_input_tokens: amount,
});

function isConversationKey(value: unknown): value is ConversationKey {
  try {
    conversationKey(value as { tenant: unknown; chat: unknown; thread?: unknown });
    return typeof value === 'object' && value !== null && 'thread' in value;
  } catch {
    return false;
  }
}

/** A file the agent sent (`send_file`): replayed with the result, so a repeat delivers it too. */
const SENT_FILE: z.ZodType<SentFile> = z
  .object({
    id: z.custom<FileId>(isFileId),
    key: z.custom<ConversationKey>(isConversationKey),
    direction: z.enum(['in', 'out']),
    // Sanitised, as every stored file's name: one path segment, shown to the user as it is.
    name: z.string().max(MAX_NAME_BYTES).refine(isSanitizedName, 'must be a sanitised file name'),
    size: z.number().int().min(0).max(MAX_STORED_FILE_BYTES),
    mime: z.string().max(255),
    kind: z.enum(FILE_KINDS),
    createdAt: z.number().int().min(0).max(MAX_EPOCH_MS),
    caption: z.string().max(MAX_STORED_CAPTION_CHARS).optional(),
  })
  .transform(({ caption, ...file }) => (caption === undefined ? file : { ...file, caption }));

/**
 * A stored result, as decoded (never trusted blindly: a record that does not decode is replayed as
 * `turn_interrupted`). Every string, number and list bounded; `encodeTurnResult` cuts what it stores
 * to these bounds, so whatever it stores decodes.
 */
export const STORED_TURN_RESULT = z.object({
  response: z.string().max(MAX_STORED_RESPONSE_CHARS + CUT_NOTE.length),
  session_id: z.string().max(MAX_STORED_ID_CHARS),
  cost_usd: amount,
  num_turns: amount,
  is_error: z.boolean(),
  error_message: z.string().max(MAX_STORED_ERROR_CHARS).nullable(),
  error_code: z.enum(TURN_ERROR_CODES).nullable(),
  usage: USAGE,
  model: z.string().max(MAX_STORED_ID_CHARS).nullable(),
  duration_ms: z.number().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  files: z.array(SENT_FILE).max(MAX_STORED_FILES).optional(),
});

export function encodeTurnResult(result: TurnResult): string {
  const { replayed: _replayed, delivered: _delivered, ...stored } = result;
  const response =
    stored.response.length > MAX_STORED_RESPONSE_CHARS
      ? `${stored.response.slice(0, MAX_STORED_RESPONSE_CHARS)}${CUT_NOTE}`
      : stored.response;
  return JSON.stringify({
    ...stored,
    response,
    session_id: stored.session_id.slice(0, MAX_STORED_ID_CHARS),
    error_message: stored.error_message?.slice(0, MAX_STORED_ERROR_CHARS) ?? null,
    model: stored.model?.slice(0, MAX_STORED_ID_CHARS) ?? null,
  });
}

/** `text` parsed as JSON and checked against `schema`, or `null` (a stored record is never trusted blindly). */
function decodeStored<T>(schema: z.ZodType<T>, text: string | undefined): T | null {
  if (text === undefined) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The stored result, or `null` if the record holds something else. */
export function decodeTurnResult(text: string | undefined): TurnResult | null {
  return decodeStored(STORED_TURN_RESULT, text);
}

const NO_USAGE = {
  input_tokens: 0,
  output_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};

/**
 * A turn an earlier attempt ran and stored, answered from its transcript. Cost and usage are 0:
 * they were recorded (or lost) with the attempt that ran it, never billed twice.
 */
export function recoveredResult(input: {
  text: string;
  model: string | null;
  sessionId: string;
  durationMs: number;
}): TurnResult {
  return {
    response: input.text,
    session_id: input.sessionId,
    cost_usd: 0,
    num_turns: 1,
    is_error: false,
    error_message: null,
    error_code: null,
    usage: NO_USAGE,
    model: input.model,
    duration_ms: input.durationMs,
  };
}

/** A turn an earlier attempt stored (at least in part) whose reply cannot be read back. */
export function interruptedResult(input: { sessionId: string; durationMs: number }): TurnResult {
  return {
    response: '',
    session_id: input.sessionId,
    cost_usd: 0,
    num_turns: 0,
    is_error: true,
    error_message:
      '[agent] your previous message was processed but its reply was lost (the worker stopped while ' +
      'answering); it is in the conversation history — ask again to get an answer',
    error_code: TURN_INTERRUPTED,
    usage: NO_USAGE,
    model: null,
    duration_ms: input.durationMs,
  };
}

/**
 * The record of a message that was merged into another message's turn (busy messages merged into
 * one next turn): `into` is that turn's request id and `attempt` the `startedAt` of its record when
 * the merge was written. The message is answered by that turn as long as that record is still the
 * same attempt; if the turn was begun again without it (a re-delivery runs messages one by one),
 * the message runs on its own.
 */
export interface MergedMarker {
  merged_into: string;
  attempt: number;
}

/** A merged marker as decoded: `merged_into` a request id the ledger can look up, `attempt` an epoch ms. */
export const MERGED_MARKER = z.object({
  merged_into: z.string().regex(REQUEST_ID_RE),
  attempt: z.number().int().min(0).max(MAX_EPOCH_MS),
});

export function encodeMergedMarker(marker: MergedMarker): string {
  return JSON.stringify(marker);
}

export function decodeMergedMarker(text: string | undefined): MergedMarker | null {
  return decodeStored(MERGED_MARKER, text);
}

/** What a merged message's own request gets back: it was answered by the turn it was merged into. */
export function mergedResult(input: { sessionId: string; durationMs: number }): TurnResult {
  return {
    response: '',
    session_id: input.sessionId,
    cost_usd: 0,
    num_turns: 0,
    is_error: false,
    error_message: null,
    error_code: null,
    usage: NO_USAGE,
    model: null,
    duration_ms: input.durationMs,
  };
}
