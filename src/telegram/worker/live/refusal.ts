import { GrammyError } from 'grammy';
import { isNotModified } from '../../bot-api-errors.js';
import { SendBudgetShortError } from '../../send-budget/errors.js';

/**
 * What a failed live update means for the live view:
 * - `rate_limited`: a 429, or the send budget had no slot free now (`SendBudgetShortError`):
 *   send nothing in this chat before `retryAfterMs` has passed;
 * - `unchanged`: "message is not modified" — the update is already shown;
 * - `refused`: any other refusal (message deleted, chat blocked, not allowed): stop updating
 *   that view; the final answer still goes out on its own;
 * - `failed`: the network or something else; try again at the next update.
 */
export type UpdateFailure =
  | { kind: 'rate_limited'; retryAfterMs: number }
  | { kind: 'unchanged' }
  | { kind: 'refused'; status: number; description: string }
  | { kind: 'failed' };

export function classifyUpdateFailure(err: unknown): UpdateFailure {
  if (err instanceof SendBudgetShortError) return { kind: 'rate_limited', retryAfterMs: err.retryAfterMs };
  if (!(err instanceof GrammyError)) return { kind: 'failed' };
  if (err.error_code === 429) {
    const seconds = err.parameters.retry_after ?? 1;
    return { kind: 'rate_limited', retryAfterMs: seconds * 1000 };
  }
  if (isNotModified(err)) return { kind: 'unchanged' };
  if (err.error_code >= 500) return { kind: 'failed' };
  return { kind: 'refused', status: err.error_code, description: err.description };
}
