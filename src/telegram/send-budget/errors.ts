import { OmniError } from '../../core/errors.js';

/**
 * A live update (draft, edit, "typing…") was not sent: the bot's or the chat's send budget had no
 * slot now, and such updates skip rather than wait (the reply after them waits its turn). Like a
 * 429, the live view pauses for `retryAfterMs` and then sends its newest state.
 */
export class SendBudgetShortError extends OmniError {
  readonly retryAfterMs: number;

  constructor(method: string, retryAfterMs: number) {
    super('send_budget_short', `[telegram:send-budget] ${method} skipped: no send slot free now`, {
      status: 429,
    });
    this.retryAfterMs = retryAfterMs;
  }
}
