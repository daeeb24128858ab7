import type { TurnResult } from '../../../agent/types.js';
import { turnErrorText } from '../error-text.js';
import { texts } from '../texts.js';

/** What a turn's final answer says: the model's Markdown, or a fixed plain sentence. */
export type FinalText = { markdown: string } | { plain: string };

/**
 * The final answer of a result: the reply (or "no text reply"); for a stopped turn the partial
 * answer followed by the stop note (or the note alone); for other errors the budget's own message
 * or the code in words.
 */
export function finalTextOf(result: TurnResult): FinalText {
  const response = result.response.trim() ? result.response.trimEnd() : '';
  if (!result.is_error) return { markdown: response || texts.emptyReply };
  const code = result.error_code;
  if (code === 'turn_stopped') {
    return response ? { markdown: `${response}\n\n${texts.turnStopped}` } : { plain: texts.turnStopped };
  }
  // A budget refusal carries its own clear message (which budget, spent, when it resets).
  const budget = code === 'budget_exceeded' && result.error_message;
  return { plain: budget || (code ? turnErrorText(code) : texts.failed('error')) };
}
