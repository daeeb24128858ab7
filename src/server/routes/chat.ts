import { Hono } from 'hono';
import { z } from 'zod';
import type { AgentRunner, TurnRequest, TurnResult } from '../../agent/types.js';
import type { Clock } from '../../core/clock.js';
import { conversationKey, conversationKeyString } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import { assertTenantAllowed } from '../auth.js';
import type { ApiEnv } from '../context.js';
import { answerTurn } from '../turn-stream.js';
import { readJson, validate } from '../validation.js';

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
});
export type ChatRequest = z.infer<typeof CHAT_REQUEST>;

function toDate(value: string | number | undefined): Date | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return new Date(value);
  return new Date(value >= 1e12 ? value : value * 1000);
}

/** Whether the `Accept` header asks for `text/event-stream` (with a non-zero quality, if given). */
export function acceptsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    return type === 'text/event-stream' && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

/**
 * `POST /v1/chat`: one turn through the runner (which holds the conversation's single-writer
 * lease, like the worker). A client that disconnects does not abort the turn: it completes and is
 * persisted, so the conversation stays consistent. Responds with the original's contract `{ response, session_id, cost_usd,
 * num_turns, is_error, error_message }` plus `error_code`, `usage`, `model`, `duration_ms`, and
 * `pending_approval` when the turn ended waiting for a person to approve a tool call (passed
 * through as the runner returns it; `POST /v1/approvals/:id` continues it). A turn
 * that fails inside the agent is still HTTP 200 with `is_error: true`, as in the original. With
 * `request_id` the turn runs at most once: a retry gets the recorded result with `replayed` set.
 *
 * Streaming (`"stream": true`, or `Accept: text/event-stream` unless the body says `"stream": false`):
 * the same turn answered as Server-Sent Events (`turn-stream.ts`), once the request is valid —
 * validation and scope errors stay plain 4xx JSON.
 */
export function chatRoutes(deps: {
  runner: AgentRunner;
  logger: Logger;
  clock: Clock;
  defaultTenant: string;
  /** Heartbeat interval of a streamed answer. */
  heartbeatMs: number;
}): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post('/', async (c) => {
    const body = validate(CHAT_REQUEST, await readJson(c));
    const key = conversationKey({
      tenant: body.tenant ?? deps.defaultTenant,
      chat: body.chat_id,
      thread: body.thread_id ?? undefined,
    });
    assertTenantAllowed(c.get('principal'), key.tenant);
    const started = deps.clock.now();
    const request: TurnRequest = {
      key,
      text: body.user_message,
      messageTime: toDate(body.message_time),
      model: body.model,
      requestedBy: c.get('principal').subject,
      ...(body.request_id !== undefined ? { requestId: `api:${body.request_id}` } : {}),
    };
    const logged = (result: TurnResult): TurnResult => {
      deps.logger.info('[server] chat turn', {
        conversation: conversationKeyString(key),
        session_id: result.session_id,
        is_error: result.is_error,
        error_code: result.error_code,
        cost_usd: result.cost_usd,
        duration_ms: deps.clock.now() - started,
        ...(result.replayed ? { replayed: result.replayed } : {}),
        ...(result.pending_approval ? { pending_approval: result.pending_approval.id } : {}),
      });
      return result;
    };
    const stream = body.stream ?? acceptsEventStream(c.req.header('accept'));
    return answerTurn(
      c,
      stream,
      (onEvent) => deps.runner.runTurn(onEvent ? { ...request, onEvent } : request).then(logged),
      { heartbeatMs: deps.heartbeatMs, logger: deps.logger },
    );
  });
  return app;
}
