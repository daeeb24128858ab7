import { createConversationService, type ConversationService } from '../conversations/index.js';
import type { ChoicesResolver } from '../conversations/types.js';
import type { TenantId } from '../core/ids.js';
import { modelAliases } from '../tenants/index.js';
import { agentConfigsOf, agentNamesOf } from './proactive.js';
import type { AppDeps } from './types.js';

/** What each tenant's conversations may choose: its tenants-file models and its agents.json agents. */
export function conversationChoicesOf(app: Pick<AppDeps, 'tenants' | 'rawEnv'>): ChoicesResolver {
  const agents = agentNamesOf(agentConfigsOf(app));
  return async (tenant: TenantId) => {
    const config = app.tenants.tenants.get(tenant);
    return { models: modelAliases(config), defaultModel: config?.model, agents: await agents(tenant) };
  };
}

/** The conversation-management service of a process (Telegram worker, API, CLI share one shape). */
export function conversationServiceFor(
  app: Pick<AppDeps, 'tenants' | 'rawEnv' | 'storage' | 'logger'>,
): ConversationService {
  return createConversationService({
    storage: app.storage,
    choices: conversationChoicesOf(app),
    logger: app.logger.child({ component: 'conversations' }),
  });
}
