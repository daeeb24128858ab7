import type { ConversationSettings } from '../sessions/types.js';
import type { TenantTurnPolicy } from './budget.js';
import type { TurnRequest } from './types.js';

/** The model and main-thread agent a turn runs with, and the settings it could not honour. */
export interface TurnChoice {
  /** Passed to the SDK as `model` (an alias it knows or a full id); undefined: the deployment's default. */
  model: string | undefined;
  /** Passed to the SDK as `agent`; undefined: the main agent. */
  agent: string | undefined;
  /** Conversation settings that name a model alias or agent the tenant no longer has (logged). */
  dropped: Array<{ setting: 'model' | 'agent'; value: string }>;
}

/**
 * A turn's model and agent: the request's own (a schedule's, the API's `model`) first, then the
 * conversation's settings (`/model`, `/agent`), then the tenant's default. A setting whose alias or
 * agent was removed from the configuration since is dropped (the default answers) rather than
 * failing every message of the conversation; `/model` shows it.
 */
export function turnChoice(input: {
  request: Pick<TurnRequest, 'model' | 'agent'>;
  settings: ConversationSettings;
  policy: TenantTurnPolicy | undefined;
  agents: Readonly<Record<string, unknown>>;
}): TurnChoice {
  const { request, settings, policy, agents } = input;
  const dropped: TurnChoice['dropped'] = [];
  let model = request.model;
  if (model === undefined && settings.model !== undefined) {
    // Own aliases only: a stored `constructor` alias the tenant has since removed must not find Object's.
    const models = policy?.models;
    model = models && Object.hasOwn(models, settings.model) ? models[settings.model] : undefined;
    if (model === undefined) dropped.push({ setting: 'model', value: settings.model });
  }
  let agent = request.agent;
  if (agent === undefined && settings.agent !== undefined) {
    if (Object.hasOwn(agents, settings.agent)) agent = settings.agent;
    else dropped.push({ setting: 'agent', value: settings.agent });
  }
  return { model: model ?? policy?.model, agent, dropped };
}
