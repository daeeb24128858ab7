import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { describeProvider } from '../agent/provider.js';
import { defaultAgentConfigDir } from '../config/agent-config/index.js';
import type { AppEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import { parseTenantId } from '../core/ids.js';
import { createSqliteDeduper, createTelegramService } from '../telegram/index.js';
import { transcriptExporter } from './transcript-exporter.js';
import type { AppDeps } from './types.js';
import { loadTelegramCommands } from './telegram-commands.js';

/**
 * The real bot on one machine: ingress + in-process queue + worker + runner. Long polling by
 * default (no public URL); with TELEGRAM_WEBHOOK_SECRET, a webhook at `/telegram/<tenant>` on
 * OMNICLOUD_PORT (for a tunnel). Resolves when the process is asked to stop (SIGINT/SIGTERM).
 */
export async function runLocalTelegram(env: AppEnv, app: AppDeps): Promise<number> {
  const token = env.TELEGRAM_BOT_TOKEN;
  if (!token)
    throw new ConfigError([{ file: 'environment', field: 'TELEGRAM_BOT_TOKEN', message: 'required' }]);
  const tenant = parseTenantId(env.OMNICLOUD_TENANT);
  const deduper = createSqliteDeduper({ path: join(resolve(env.OMNICLOUD_DATA_DIR), 'telegram.sqlite') });
  const service = createTelegramService({
    token,
    tenant,
    runner: app.runner,
    deduper,
    apiRoot: env.TELEGRAM_API_ROOT,
    commands: await loadTelegramCommands(env.OMNICLOUD_CONFIG_DIR ?? defaultAgentConfigDir()),
    policy: env.TELEGRAM_ALLOWED_USERS ? { allowedUserIds: env.TELEGRAM_ALLOWED_USERS.map(Number) } : {},
    exportTranscript: transcriptExporter(app),
    logger: app.logger.child({ component: 'telegram' }),
  });
  const log = app.logger.child({ component: 'local' });
  let stopServer: (() => void) | undefined;
  if (env.TELEGRAM_WEBHOOK_SECRET) {
    const http = service.mountWebhook(new Hono(), env.TELEGRAM_WEBHOOK_SECRET);
    const server = serve({ fetch: http.fetch, port: env.OMNICLOUD_PORT, hostname: '127.0.0.1' });
    stopServer = () => server.close();
    log.info('telegram webhook listening', {
      url: `http://127.0.0.1:${env.OMNICLOUD_PORT}/telegram/${tenant}`,
    });
  } else {
    service.startPolling();
    log.info('telegram bot polling', { tenant });
  }
  process.stderr.write(
    `omnicloud: Telegram bot running (${describeProvider(app.provider)}). Ctrl-C to stop.\n`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  stopServer?.();
  await service.stop();
  deduper.close();
  return 0;
}
