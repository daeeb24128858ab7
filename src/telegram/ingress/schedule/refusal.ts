import { OmniError } from '../../../core/errors.js';

/** An error that refuses the request (a 4xx: invalid, exists, not found, from config): its message is for the user. */
export function refusalOf(err: unknown): string | undefined {
  if (!(err instanceof OmniError) || err.status < 400 || err.status >= 500) return undefined;
  return err.message.replace(/^\[[a-z:]+\] /, '');
}
