import { Api } from 'grammy';
import { loadAgentConfig, type AgentConfig } from '../config/agent-config/index.js';
import type { TenantId } from '../core/ids.js';
import type { ChatProbeResult } from '../schedules/service.js';
import type { Storage } from '../sessions/types.js';
import { probeBotInChat } from '../telegram/chat-probe.js';
import type { ProactiveStores } from '../telegram/worker/proactive.js';
import { configDirOf } from './tenants.js';
import type { AppDeps } from './types.js';

/** What a worker needs for scheduled runs and alert investigations: the storage's schedules and claims. */
export function proactiveStoresOf(storage: Pick<Storage, 'schedules' | 'claims'>): ProactiveStores {
  return { schedules: storage.schedules, claims: storage.claims };
}

/**
 * Each tenant's agent-config folder, read once per process (a failed read is tried again next
 * time): what the schedules need of it — `schedules.yaml` and the agent names.
 */
export function agentConfigsOf(
  app: Pick<AppDeps, 'tenants' | 'rawEnv'>,
): (tenant: TenantId) => Promise<AgentConfig> {
  const cache = new Map<TenantId, Promise<AgentConfig>>();
  return (tenant) => {
    let config = cache.get(tenant);
    if (!config) {
      config = loadAgentConfig(configDirOf(app.tenants, tenant), { env: app.rawEnv ?? {} });
      cache.set(tenant, config);
      config.catch(() => cache.delete(tenant));
    }
    return config;
  };
}

/** The agent names of each tenant's agents.json (a schedule's `agent` must be one). */
export function agentNamesOf(
  configs: (tenant: TenantId) => Promise<AgentConfig>,
): (tenant: TenantId) => Promise<readonly string[]> {
  return async (tenant) => Object.keys((await configs(tenant)).agents);
}

/**
 * Whether a tenant's bot is in a chat, from its token alone (the bot's id is the token's number
 * before the colon): for a schedule's target where no bot runs in this process (the API).
 * `unknown` for a tenant without a bot.
 */
export function chatProbeOf(
  app: Pick<AppDeps, 'tenants' | 'env'>,
): (tenant: TenantId, chat: number) => Promise<ChatProbeResult> {
  const apis = new Map<TenantId, Api>();
  return async (tenant, chat) => {
    const token = app.tenants.tenants.get(tenant)?.secrets.botToken;
    const botId = Number(token?.split(':')[0]);
    if (!token || !Number.isSafeInteger(botId)) return 'unknown';
    let api = apis.get(tenant);
    if (!api) {
      api = new Api(token, app.env.TELEGRAM_API_ROOT ? { apiRoot: app.env.TELEGRAM_API_ROOT } : {});
      apis.set(tenant, api);
    }
    return probeBotInChat(api, botId, chat);
  };
}
