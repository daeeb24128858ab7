import { BotError, GrammyError, HttpError, type Bot } from 'grammy';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { silentLogger, type Logger } from '../../core/logger.js';
import { QueueError } from '../../queue/errors.js';
import { describeBotError } from '../bot.js';
import { secretMatches } from './secret.js';
import { parseUpdate } from './update-shape.js';

/** One tenant's bot behind the webhook and the secret Telegram sends with each update. */
export interface WebhookTenant {
  bot: Bot;
  secretToken: string;
}

export interface TelegramWebhookOptions {
  /** The tenant's bot (with the ingress installed) and secret; undefined → 404. */
  resolve(tenant: string): WebhookTenant | undefined;
  /** Larger bodies are refused with 413 (default 1 MiB; real updates are a few KB). */
  maxBodyBytes?: number;
  logger?: Logger;
}

export const TELEGRAM_WEBHOOK_PATH = '/telegram/:tenant';

/**
 * `POST /telegram/:tenant`: verify `X-Telegram-Bot-Api-Secret-Token` in constant time (401),
 * reject malformed bodies (400/413), run the ingress (which only enqueues) and acknowledge.
 * A transient failure (queue down, Telegram unreachable) answers 503 so Telegram re-sends — the
 * dedupe claim was released; anything else is logged and acknowledged (no retry storm).
 */
export function mountTelegramWebhook<A extends Hono>(app: A, options: TelegramWebhookOptions): A {
  const logger = options.logger ?? silentLogger;
  app.post(
    TELEGRAM_WEBHOOK_PATH,
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 1024 * 1024,
      onError: (c) => c.json({ ok: false, error: 'payload too large' }, 413),
    }),
    async (c) => {
      const tenant = options.resolve(c.req.param('tenant'));
      if (!tenant) return c.json({ ok: false, error: 'unknown tenant' }, 404);
      if (!secretMatches(c.req.header('x-telegram-bot-api-secret-token'), tenant.secretToken)) {
        return c.json({ ok: false, error: 'unauthorized' }, 401);
      }
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return c.json({ ok: false, error: 'body is not JSON' }, 400);
      }
      const parsed = parseUpdate(body);
      if (!parsed.ok) return c.json({ ok: false, error: `not a Telegram update: ${parsed.error}` }, 400);
      try {
        await tenant.bot.handleUpdate(parsed.update);
      } catch (err) {
        logger.error('telegram: webhook update failed', describeBotError(err));
        if (isTransient(err)) return c.json({ ok: false, error: 'temporarily unavailable' }, 503);
      }
      return c.json({ ok: true });
    },
  );
  return app;
}

function isTransient(err: unknown): boolean {
  const cause = err instanceof BotError ? err.error : err;
  if (cause instanceof QueueError || cause instanceof HttpError) return true;
  return cause instanceof GrammyError && (cause.error_code >= 500 || cause.error_code === 429);
}
