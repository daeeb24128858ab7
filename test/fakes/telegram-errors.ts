/** A Bot API error body as Telegram sends it (`ok: false` added on the wire). */
export interface ApiError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** Thrown by a fake method to answer with Telegram's error. */
export class FakeApiError extends Error {
  constructor(readonly body: ApiError) {
    super(body.description);
  }
}

export function apiError(code: number, description: string): FakeApiError {
  return new FakeApiError({ error_code: code, description });
}

/** Telegram's 429 body. */
export function tooManyRequests(retryAfterS: number): ApiError {
  return {
    error_code: 429,
    description: `Too Many Requests: retry after ${retryAfterS}`,
    parameters: { retry_after: retryAfterS },
  };
}
