/**
 * One base error with a stable `code`; subclasses end in `Error`. Messages are prefixed with their
 * source (`[sessions:sqlite] …`). Code throws errors or returns them (a turn's `error_code`); they
 * are turned into words for people in these places only:
 * - the HTTP API: `errorReply` in `server/errors.ts`, behind the app's one `onError` (and `notFound`)
 *   and a streamed turn's `error` event: `{ error: { code, message } }`, only our own messages in the body;
 * - the Telegram bot: `bot.catch` in `telegram/bot.ts` (and the webhook route in
 *   `telegram/ingress/webhook.ts`, with the same `describeBotError`): one log line per failed update;
 * - the Telegram worker: `turnErrorText`/`failureText` in `telegram/worker/error-text.ts`, the reply a user gets for a failed
 *   turn's `error_code` or a failed job's `OmniError.code`;
 * - the Telegram worker's conversation management: `switchRefusalText` and the unknown-name replies
 *   in `telegram/worker/conversations.ts` (a refused `/sessions` switch, `/model`, `/agent`);
 * - the Telegram ingress's `/schedule`: `refusalOf` in `telegram/ingress/schedule/refusal.ts`, the
 *   message of a refused schedule change (a 4xx `OmniError`) as the reply;
 * - the CLI: `runCli` in `cli/main.ts` (any error: its message, no stack), `formatReply` in
 *   `cli/turn-render.ts` (a failed turn as `error (<code>): <message>`) and `cli/chat.ts` (a failed
 *   line as `error: …`).
 */
export class OmniError extends Error {
  /** Stable machine-readable code (API responses, logs, metrics). */
  readonly code: string;
  /** Suggested HTTP status when this error reaches the API boundary. */
  readonly status: number;

  constructor(code: string, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options?.status ?? 500;
  }
}

/** An id or key failed validation (hostile or malformed input). */
export class InvalidIdError extends OmniError {
  constructor(message: string) {
    super('invalid_id', message, { status: 400 });
  }
}

/** One problem in one configuration file. */
export interface ConfigIssue {
  file: string;
  field: string;
  message: string;
}

/** A configuration folder or file is invalid; `issues` lists every problem found (file + field). */
export class ConfigError extends OmniError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super('invalid_config', formatConfigIssues(issues), { status: 500 });
    this.issues = issues;
  }
}

export function formatConfigIssues(issues: ConfigIssue[]): string {
  const lines = issues.map((i) => `  ${i.file}${i.field ? ` → ${i.field}` : ''}: ${i.message}`);
  return `[config] ${issues.length} problem${issues.length === 1 ? '' : 's'} in the agent configuration:\n${lines.join('\n')}`;
}

/** The storage backend failed (after bounded retries where retrying made sense). */
export class StorageError extends OmniError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'storage_error', message, { cause: options?.cause, status: 503 });
  }
}

/**
 * The conversation map points at a session whose history is missing or truncated. Never replaced
 * by a silent empty session: the caller must decide (report, or `/new`).
 */
export class SessionHistoryError extends OmniError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('session_history_unavailable', message, { cause: options?.cause, status: 409 });
  }
}

/**
 * The conversation's files could not be brought into this machine's workspace before a turn (the
 * file store failed, or a file the message names is missing): the turn does not run without them.
 * 503, so a queue tries the message again.
 */
export class FilesUnavailableError extends OmniError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('files_unavailable', message, { cause: options?.cause, status: 503 });
  }
}

/** Another writer holds the conversation's lease (or ours was lost: fenced). */
export class LeaseConflictError extends OmniError {
  constructor(message: string) {
    super('conversation_busy', message, { status: 409 });
  }
}

/** A write was attempted with a fencing token that is no longer current. */
export class FencedWriteError extends OmniError {
  constructor(message: string) {
    super('fenced_write', message, { status: 409 });
  }
}

/** Narrow an unknown thrown value to a message without leaking stack traces. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
