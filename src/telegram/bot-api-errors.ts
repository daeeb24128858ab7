import { GrammyError } from 'grammy';

/** Telegram refused the message's formatting (MarkdownV2 it cannot parse): send it as plain text. */
export function isParseEntitiesError(err: unknown): boolean {
  return (
    err instanceof GrammyError && err.error_code === 400 && /can't parse entities/i.test(err.description)
  );
}

/** An edit that would not change the message: nothing to do. */
export function isNotModified(err: unknown): boolean {
  return (
    err instanceof GrammyError && err.error_code === 400 && /message is not modified/i.test(err.description)
  );
}
