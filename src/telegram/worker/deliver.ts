import { HttpError } from 'grammy';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/**
 * After a turn ran: retry network failures a few times (429s are already waited out by
 * auto-retry), then log, never rethrow. `true` once sent. Only for calls that are safe to repeat.
 */
export async function deliverWithRetry(send: () => Promise<unknown>, logger: Logger): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return true;
    } catch (err) {
      if (err instanceof HttpError && attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        continue;
      }
      logger.error('telegram: reply could not be delivered', { error: errorMessage(err) });
      return false;
    }
  }
}
