import { isTurnErrorCode, type TurnErrorCode } from '../../agent/types.js';
import { OmniError } from '../../core/errors.js';
import { texts } from './texts.js';

/**
 * `OmniError` codes that can be thrown while the worker handles a queued item (and are not turn
 * codes): the lease (`conversation_busy`, `fenced_write`), the stores (`storage_*`), the queue,
 * configuration and ids; anything that is not an `OmniError` is `internal_error`.
 */
export const FAILURE_CODES = [
  'conversation_busy',
  'fenced_write',
  'storage_error',
  'storage_contention',
  'storage_throttled',
  'storage_corrupt',
  'queue_unavailable',
  'invalid_config',
  'invalid_id',
  'invalid_usage',
  'internal_error',
] as const;

export type FailureCode = (typeof FAILURE_CODES)[number];

function isFailureCode(code: string): code is FailureCode {
  return (FAILURE_CODES as readonly string[]).includes(code);
}

/** `files_unavailable`: nothing ran, and the queue tries the message again before this is sent. */
export const FILES_UNAVAILABLE_TEXT =
  "I couldn't get this conversation's files ready for the agent, so I didn't answer. Please send the message again in a moment.";

function unhandled(code: never): string {
  return texts.failed(String(code));
}

/** What the user reads when a turn ended with `error_code` (every code handled: a new one fails to compile). */
export function turnErrorText(code: TurnErrorCode): string {
  switch (code) {
    case 'model_api_error':
      return texts.modelError;
    case 'session_history_unavailable':
      return texts.historyUnavailable;
    case 'history_not_persisted':
      return texts.historyNotPersisted;
    case 'turn_interrupted':
      return texts.turnInterrupted;
    case 'turn_stopped':
      return texts.turnStopped;
    case 'approval_unavailable':
      return texts.approvalUnavailable;
    case 'files_unavailable':
      return FILES_UNAVAILABLE_TEXT;
    case 'budget_exceeded': // the worker sends the budget's own message when there is one
    case 'turn_aborted':
    case 'agent_failed':
    case 'agent_success':
    case 'agent_error_during_execution':
    case 'agent_error_max_turns':
    case 'agent_error_max_budget_usd':
    case 'agent_error_max_structured_output_retries':
      return texts.failed(code);
    default:
      return unhandled(code);
  }
}

/** What the user reads when handling failed with an `OmniError` of this code (or a non-OmniError). */
export function failureCodeText(code: FailureCode): string {
  switch (code) {
    case 'conversation_busy':
      return texts.busy;
    case 'fenced_write':
    case 'storage_error':
    case 'storage_contention':
    case 'storage_throttled':
    case 'storage_corrupt':
    case 'queue_unavailable':
    case 'invalid_config':
    case 'invalid_id':
    case 'invalid_usage':
    case 'internal_error':
      return texts.failed(code);
    default:
      return unhandled(code);
  }
}

/**
 * The user's message for a failure thrown while handling a queued item: an `OmniError` carrying a
 * turn code (e.g. `SessionHistoryError`) reads like that turn error; an unlisted code is named.
 */
export function failureText(err: unknown): string {
  const code = err instanceof OmniError ? err.code : 'internal_error';
  if (isTurnErrorCode(code)) return turnErrorText(code);
  if (isFailureCode(code)) return failureCodeText(code);
  return texts.failed(code);
}
