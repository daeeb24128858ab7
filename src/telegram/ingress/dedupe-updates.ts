import type { Context, MiddlewareFn } from 'grammy';
import type { TenantId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { UpdateDeduper } from '../dedupe/types.js';

/**
 * First ingress middleware: a re-delivered update is acknowledged and dropped; if handling fails,
 * the claim is released and the error rethrown (so the webhook answers 5xx and Telegram retries).
 */
export function dedupeUpdates(deps: {
  tenant: TenantId;
  deduper: UpdateDeduper;
  logger: Logger;
}): MiddlewareFn<Context> {
  return async (ctx, next) => {
    const updateId = ctx.update.update_id;
    if (!(await deps.deduper.claim(deps.tenant, updateId))) {
      deps.logger.info('telegram: duplicate update dropped', { updateId });
      return;
    }
    try {
      await next();
    } catch (err) {
      await deps.deduper.release(deps.tenant, updateId).catch(() => undefined);
      throw err;
    }
  };
}
