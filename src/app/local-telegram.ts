import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { describeProvider } from '../agent/provider.js';
import { ConfigError } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import { createSqliteDeduper } from '../telegram/dedupe/sqlite.js';
import { accessPolicyOf } from '../telegram/config.js';
import { createTelegramService, registerCommandMenu, type TelegramService } from '../telegram/index.js';
import { mountTelegramWebhook, type WebhookTenant } from '../telegram/ingress/index.js';
import { botIdOf } from '../telegram/send-budget/types.js';
import type { ResolvedTenant } from '../tenants/index.js';
import { liveOptionsOf } from './live-options.js';
import { loadTelegramCommands } from './telegram-commands.js';
import { telegramApprovalsOf } from './telegram-approvals.js';
import { telegramFilesOf } from './telegram-files.js';
import { proactiveStoresOf } from './proactive.js';
import { createLocalProactive } from './local-proactive.js';
import { transcriptExporter } from './transcript-exporter.js';
import type { AppDeps } from './types.js';
import { usageReader } from './usage-reader.js';
import { conversationServiceFor } from './conversations.js';

/** Every configured tenant's bot running in this process. */
export interface LocalTelegram {
  readonly services: ReadonlyMap<TenantId, TelegramService>;
  /** Base URL of the webhook server (`<url>/telegram/<tenant>`), when a tenant has a webhook secret. */
  readonly webhookUrl: string | undefined;
  stop(): Promise<void>;
}

export interface LocalTelegramOptions {
  /** Webhook server port (default OMNICLOUD_PORT; 0 = any free port). */
  port?: number;
}

/**
 * One Telegram service per tenant with a bot (its token, allowlist and commands from its own
 * agent-config folder), sharing the runner, the storage and one dedupe file (keyed by tenant).
 * Tenants with a webhook secret are served on one HTTP server at `/telegram/<tenant>` (each
 * checked against its own secret); the others are long-polled.
 */
export async function startLocalTelegram(
  app: AppDeps,
  options: LocalTelegramOptions = {},
): Promise<LocalTelegram> {
  const { env } = app;
  const bots = [...app.tenants.tenants.values()].filter(
    (t): t is ResolvedTenant & { secrets: { botToken: string } } => Boolean(t.telegram && t.secrets.botToken),
  );
  if (bots.length === 0) {
    throw new ConfigError([
      {
        file: app.tenants.source ?? 'environment',
        field: app.tenants.source ? 'tenants.*.telegram' : 'TELEGRAM_BOT_TOKEN',
        message: 'no tenant has a Telegram bot configured',
      },
    ]);
  }
  const log = app.logger.child({ component: 'local' });
  const deduper = createSqliteDeduper({ path: join(resolve(env.OMNICLOUD_DATA_DIR), 'telegram.sqlite') });
  const services = new Map<TenantId, TelegramService>();
  const webhooks = new Map<string, WebhookTenant>();
  const exportTranscript = transcriptExporter(app);
  const usage = usageReader(app.usage);
  const conversations = conversationServiceFor(app);
  const approvals = telegramApprovalsOf(app.storage);
  const files = telegramFilesOf(app.storage, app.tenants);
  const proactive = createLocalProactive(app);
  // Every tenant's menu in parallel, awaited once (a refusal is logged, never thrown).
  const menus: Array<Promise<boolean>> = [];
  try {
    for (const tenant of bots) {
      const commands = await loadTelegramCommands(tenant.configDir);
      const service = createTelegramService({
        token: tenant.secrets.botToken,
        tenant: tenant.id,
        runner: app.runner,
        deduper,
        apiRoot: env.TELEGRAM_API_ROOT,
        commands,
        policy: accessPolicyOf(tenant.telegram ?? {}),
        // The runner holds these leases in this process: /stop reaches its turn within a second.
        stops: app.storage.leases,
        approvals,
        exportTranscript,
        usage,
        conversations,
        files,
        proactive: proactiveStoresOf(app.storage),
        schedules: { service: proactive.service, claims: app.storage.claims },
        live: liveOptionsOf(env),
        ...(app.sendBudgets
          ? { sendBudget: app.sendBudgets({ tenant: tenant.id, botId: botIdOf(tenant.secrets.botToken) }) }
          : {}),
        logger: app.logger.child({ component: 'telegram', tenant: tenant.id }),
      });
      services.set(tenant.id, service);
      menus.push(registerCommandMenu(service.bot.api, commands, log.child({ tenant: tenant.id })));
      if (tenant.secrets.webhookSecret) {
        await service.bot.init(); // webhook updates need the bot's identity (getMe once)
        webhooks.set(tenant.id, { bot: service.bot, secretToken: tenant.secrets.webhookSecret });
      } else {
        service.startPolling();
        log.info('telegram bot polling', { tenant: tenant.id });
      }
    }
    await Promise.all(menus);
    await proactive.start(services);
  } catch (err) {
    await proactive.stop();
    await Promise.all([...services.values()].map((s) => s.stop().catch(() => undefined)));
    deduper.close();
    throw err;
  }
  let webhookUrl: string | undefined;
  let stopServer: (() => Promise<void>) | undefined;
  if (webhooks.size > 0 || proactive.events) {
    const http = proactive.mountEvents(
      mountTelegramWebhook(new Hono(), {
        resolve: (tenant) => webhooks.get(tenant),
        logger: app.logger.child({ component: 'telegram:webhook' }),
      }),
    );
    const port = await new Promise<number>((done, fail) => {
      const server = serve(
        { fetch: http.fetch, port: options.port ?? env.OMNICLOUD_PORT, hostname: '127.0.0.1' },
        (info: AddressInfo) => done(info.port),
      );
      server.once('error', fail);
      stopServer = () => new Promise((closed) => server.close(() => closed()));
    }).catch(async (err: unknown) => {
      await proactive.stop();
      await Promise.all([...services.values()].map((s) => s.stop().catch(() => undefined)));
      deduper.close();
      throw err;
    });
    webhookUrl = `http://127.0.0.1:${port}`;
    for (const tenant of webhooks.keys()) {
      log.info('telegram webhook listening', { tenant, url: `${webhookUrl}/telegram/${tenant}` });
    }
    if (proactive.events) log.info('alert events accepted', { url: `${webhookUrl}/v1/events/<tenant>` });
  }
  return {
    services,
    webhookUrl,
    async stop() {
      await proactive.stop();
      await stopServer?.();
      await Promise.all([...services.values()].map((s) => s.stop()));
      deduper.close();
    },
  };
}

/**
 * The real bots on one machine (`npm start`): every configured tenant's bot, in-process queue,
 * worker and runner. Resolves when the process is asked to stop (SIGINT/SIGTERM).
 */
export async function runLocalTelegram(app: AppDeps): Promise<number> {
  const running = await startLocalTelegram(app);
  process.stderr.write(
    `omnicloud: ${running.services.size} Telegram bot(s) running (${describeProvider(app.provider)}). Ctrl-C to stop.\n`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await running.stop();
  return 0;
}
