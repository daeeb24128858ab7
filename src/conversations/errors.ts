import { OmniError } from '../core/errors.js';

/** Every refusal of a conversation-management request, with its HTTP status. */
const CODES = {
  session_not_found: 404,
  session_expired: 410,
  session_history_missing: 410,
  unknown_model: 400,
  unknown_agent: 400,
  session_exists: 409,
  invalid_import: 400,
} as const;

export type ConversationErrorCode = keyof typeof CODES;

/** A conversation-management request refused: nothing was changed. */
export class ConversationError extends OmniError {
  declare readonly code: ConversationErrorCode;

  constructor(code: ConversationErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, {
      status: CODES[code],
      ...(options?.cause !== undefined ? { cause: options.cause } : {}),
    });
  }
}
