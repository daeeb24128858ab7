import { buildStores } from '../app/storage.js';
import { loadAgentConfig } from '../config/agent-config/index.js';
import type { AppEnv } from '../config/env.js';
import { createConversationService } from '../conversations/index.js';
import type { ChoicesResolver } from '../conversations/types.js';
import { createLogger } from '../core/logger.js';
import { loadTenants, modelAliases, type TenantsConfig } from '../tenants/index.js';
import type { SessionsCommandDeps } from './sessions.js';

/**
 * A tenant's choices from the tenants file as written (no secret is resolved: the CLI needs none).
 * As `conversationChoicesOf`, which wants resolved tenants; `sessions` never configures, so this
 * is only read if the service is asked for settings.
 */
function choicesOf(tenants: TenantsConfig, rawEnv: Record<string, string | undefined>): ChoicesResolver {
  return async (tenant) => {
    const config = tenants.tenants.get(tenant);
    const agents = config
      ? Object.keys((await loadAgentConfig(config.configDir, { env: rawEnv })).agents)
      : [];
    return { models: modelAliases(config), defaultModel: config?.model, agents };
  };
}

/**
 * What `omnicloud sessions` runs on: the configured storage (SQLite in OMNICLOUD_DATA_DIR, or
 * DynamoDB + S3 with `OMNICLOUD_STORAGE=cloud`), the tenants file and the conversation service
 * over them. No agent, no bot and no secret is touched: an operator can run it beside a live
 * deployment.
 */
export async function sessionsCommandFor(
  env: AppEnv,
  rawEnv: Record<string, string | undefined>,
): Promise<SessionsCommandDeps> {
  const logger = createLogger({ level: env.OMNICLOUD_LOG_LEVEL ?? 'warn' });
  const tenants = loadTenants({ file: env.OMNICLOUD_TENANTS_FILE, env });
  const stores = await buildStores(env, logger);
  return {
    storage: stores.storage,
    service: createConversationService({
      storage: stores.storage,
      choices: choicesOf(tenants, rawEnv),
      logger: logger.child({ component: 'conversations' }),
    }),
    tenants: [...tenants.tenants.keys()],
    logger,
    close: () => stores.close(),
  };
}
