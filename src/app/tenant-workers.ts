import type { AgentRunner } from '../agent/types.js';
import { ConfigError } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { QueueHandler } from '../queue/types.js';
import { botIdOf, type SendBudgets } from '../telegram/send-budget/types.js';
import { createTenantBot } from '../telegram/tenant-bot.js';
import type { LiveOptions } from '../telegram/worker/live/index.js';
import type { TelegramApprovals } from '../telegram/approvals/index.js';
import type { ConversationControl, TranscriptExporter, UsageReader } from '../telegram/worker/types.js';
import type { WorkerFiles } from '../telegram/worker/receive-files.js';
import type { ProactiveStores } from '../telegram/worker/proactive.js';
import type { ResolvedTenants } from '../tenants/index.js';
import { UnknownTenantError } from './tenants.js';

export interface TenantWorkersDeps {
  tenants: ResolvedTenants;
  runner: AgentRunner;
  apiRoot?: string | undefined;
  exportTranscript?: TranscriptExporter;
  /** Approval requests: shown with buttons, decisions continued, `/debug`. */
  approvals?: TelegramApprovals;
  usage?: UsageReader;
  /** Conversation management: `/sessions`, its buttons, `/model`, `/agent` (`conversationServiceFor`). */
  conversations?: ConversationControl;
  /** Live replies (`TELEGRAM_LIVE_*`); default on. */
  live?: LiveOptions;
  /** Attachments in and the agent's files out (`telegramFilesOf`). */
  files?: WorkerFiles;
  /** Scheduled runs and alert investigations (`proactiveStoresOf`). */
  proactive?: ProactiveStores;
  /** Each bot's send budget (`AppDeps.sendBudgets`: shared between workers with cloud storage). */
  sendBudgets?: SendBudgets | undefined;
  logger: Logger;
}

/**
 * The queue handler of a multi-tenant worker: each message is answered by its own tenant's bot
 * (the tenant comes from the message's validated conversation key, never from its content). A
 * message of an unknown tenant fails, so it stays on the queue and reaches the DLQ — never lost,
 * never answered by another tenant's bot.
 */
export function createTenantWorkers(deps: TenantWorkersDeps): QueueHandler {
  const handlers = new Map<TenantId, QueueHandler>();
  for (const t of deps.tenants.tenants.values()) {
    if (!t.telegram || !t.secrets.botToken) continue;
    const { worker } = createTenantBot({
      tenant: t.id,
      token: t.secrets.botToken,
      ...(deps.apiRoot ? { apiRoot: deps.apiRoot } : {}),
      ...(deps.sendBudgets
        ? { sendBudget: deps.sendBudgets({ tenant: t.id, botId: botIdOf(t.secrets.botToken) }) }
        : {}),
      logger: deps.logger.child({ tenant: t.id }),
      worker: {
        runner: deps.runner,
        ...(deps.approvals ? { approvals: deps.approvals } : {}),
        ...(deps.exportTranscript ? { exportTranscript: deps.exportTranscript } : {}),
        ...(deps.usage ? { usage: deps.usage } : {}),
        ...(deps.conversations ? { conversations: deps.conversations } : {}),
        ...(deps.live ? { live: deps.live } : {}),
        ...(deps.files ? { files: deps.files } : {}),
        ...(deps.proactive ? { proactive: deps.proactive } : {}),
      },
    });
    handlers.set(t.id, worker);
  }
  if (handlers.size === 0) {
    throw new ConfigError([
      {
        file: deps.tenants.source ?? 'environment',
        field: deps.tenants.source ? 'tenants.*.telegram.botToken' : 'TELEGRAM_BOT_TOKEN',
        message: 'required by the worker: no tenant has a Telegram bot',
      },
    ]);
  }
  return async (message, delivery) => {
    const handler = handlers.get(message.key.tenant);
    if (!handler) throw new UnknownTenantError(message.key.tenant);
    await handler(message, delivery);
  };
}
