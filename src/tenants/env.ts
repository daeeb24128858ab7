import { resolve } from 'node:path';
import { defaultAgentConfigDir } from '../config/agent-config/index.js';
import type { AppEnv } from '../config/env.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { parseTenantId } from '../core/ids.js';
import { loadTenantsFile } from './load.js';
import type { TenantConfig, TenantsConfig } from './types.js';

/** The environment variables a single-tenant setup is built from. */
export type TenantEnv = Pick<
  AppEnv,
  | 'OMNICLOUD_TENANT'
  | 'OMNICLOUD_CONFIG_DIR'
  | 'TELEGRAM_BOT_TOKEN'
  | 'TELEGRAM_WEBHOOK_SECRET'
  | 'TELEGRAM_ALLOWED_USERS'
  | 'TELEGRAM_NON_FORUM_GROUPS'
  | 'TELEGRAM_EDITED_MESSAGES'
  | 'TELEGRAM_BUSY_MESSAGES'
  | 'API_AUTH_TOKEN'
  | 'OMNICLOUD_EVENTS_TOKEN'
>;

/**
 * A single-tenant setup without a tenants file: one tenant (`OMNICLOUD_TENANT`, default
 * `default`; agent config from `OMNICLOUD_CONFIG_DIR` or the bundled `agent-config/`) whose secrets are references to the variables that hold them (`{ env:
 * 'TELEGRAM_BOT_TOKEN' }`, …) — resolve them with `createEnvSecretResolver(env)`. No budgets.
 */
export function tenantsFromEnv(env: TenantEnv): TenantsConfig {
  let id;
  try {
    id = parseTenantId(env.OMNICLOUD_TENANT);
  } catch (err) {
    throw new ConfigError([{ file: 'environment', field: 'OMNICLOUD_TENANT', message: errorMessage(err) }]);
  }
  const tenant: TenantConfig = {
    id,
    configDir: env.OMNICLOUD_CONFIG_DIR ? resolve(env.OMNICLOUD_CONFIG_DIR) : defaultAgentConfigDir(),
    apiTokens: env.API_AUTH_TOKEN ? [{ env: 'API_AUTH_TOKEN' }] : [],
  };
  if (env.OMNICLOUD_EVENTS_TOKEN) tenant.eventTokens = [{ env: 'OMNICLOUD_EVENTS_TOKEN' }];
  if (env.TELEGRAM_BOT_TOKEN) {
    tenant.telegram = { botToken: { env: 'TELEGRAM_BOT_TOKEN' } };
    if (env.TELEGRAM_WEBHOOK_SECRET) tenant.telegram.webhookSecret = { env: 'TELEGRAM_WEBHOOK_SECRET' };
    if (env.TELEGRAM_ALLOWED_USERS !== undefined) {
      const bad = env.TELEGRAM_ALLOWED_USERS.filter((u) => !/^\d{1,15}$/.test(u));
      if (bad.length > 0) {
        throw new ConfigError([
          {
            file: 'environment',
            field: 'TELEGRAM_ALLOWED_USERS',
            message: `must be comma-separated Telegram user ids (positive integers); not: ${bad.map((b) => JSON.stringify(b.slice(0, 20))).join(', ')}`,
          },
        ]);
      }
      tenant.telegram.allowedUsers = env.TELEGRAM_ALLOWED_USERS.map(Number);
    }
    if (env.TELEGRAM_NON_FORUM_GROUPS) tenant.telegram.nonForumGroups = env.TELEGRAM_NON_FORUM_GROUPS;
    if (env.TELEGRAM_EDITED_MESSAGES) tenant.telegram.editedMessages = env.TELEGRAM_EDITED_MESSAGES;
    if (env.TELEGRAM_BUSY_MESSAGES) tenant.telegram.busyMessages = env.TELEGRAM_BUSY_MESSAGES;
  }
  return { source: null, tenants: new Map([[id, tenant]]), adminApiTokens: [] };
}

/** The tenants file when one is given (`OMNICLOUD_TENANTS_FILE`), else the single tenant from the environment. */
export function loadTenants(options: { file?: string | undefined; env: TenantEnv }): TenantsConfig {
  return options.file ? loadTenantsFile(options.file) : tenantsFromEnv(options.env);
}
