import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { OmniError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/**
 * The API's error vocabulary. Every error leaves the app as `{ error: { code, message } }` with a
 * stable `code`; only `ApiError`/`OmniError` messages (written by us, no secrets) reach the body.
 */
export interface ApiErrorBody {
  error: { code: string; message: string; issues?: ApiFieldIssue[] };
}

/** One failed field of a request body: `path` is the dotted field path (`thread_id`, `user_message`). */
export interface ApiFieldIssue {
  path: string;
  message: string;
}

/** An error raised by the HTTP layer itself (auth, validation, routing). */
export class ApiError extends OmniError {
  readonly issues: ApiFieldIssue[] | undefined;

  constructor(status: number, code: string, message: string, issues?: ApiFieldIssue[]) {
    super(code, message, { status });
    this.issues = issues;
  }
}

export const unauthorized = (message: string): ApiError => new ApiError(401, 'unauthorized', message);
export const forbidden = (message: string): ApiError => new ApiError(403, 'forbidden', message);
export const notFound = (code: string, message: string): ApiError => new ApiError(404, code, message);

/** What an error becomes on the wire: the HTTP status and the JSON body. */
export interface ApiErrorReply {
  status: number;
  body: ApiErrorBody;
}

/**
 * Turns any thrown value into its status and body; logs server-side faults without leaking them.
 * `where` names the request in the log line (`POST /v1/chat`). Used for plain responses
 * (`errorResponse`) and for the `error` event of a stream that already answered 200.
 */
export function errorReply(err: unknown, where: string, logger: Logger): ApiErrorReply {
  if (err instanceof OmniError) {
    const status = err.status >= 400 && err.status <= 599 ? err.status : 500;
    const body: ApiErrorBody = { error: { code: err.code, message: err.message } };
    if (err instanceof ApiError && err.issues) body.error.issues = err.issues;
    const log = status >= 500 ? logger.error : logger.warn;
    log(`[server] ${where} → ${status} ${err.code}`, { code: err.code, status });
    return { status, body };
  }
  if (err instanceof HTTPException) {
    // Hono's own exceptions (e.g. body limit) carry only a status we chose; map to our codes.
    const code = err.status === 413 ? 'payload_too_large' : 'http_error';
    return { status: err.status, body: { error: { code, message: err.message || code } } };
  }
  // Unknown faults: log the message (the logger masks secrets), never the stack, never in the body.
  logger.error(`[server] ${where} → 500 internal_error`, { err: errorMessage(err) });
  return { status: 500, body: { error: { code: 'internal_error', message: 'internal error' } } };
}

/** Builds the JSON response for any thrown value (the app's single `onError`). */
export function errorResponse(c: Context, err: unknown, logger: Logger): Response {
  const { status, body } = errorReply(err, `${c.req.method} ${c.req.path}`, logger);
  return c.json(body, status as 400);
}
