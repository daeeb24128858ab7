import type { FilePolicy } from '../files/types.js';
import type { TenantId } from '../core/ids.js';
import type { Budgets } from '../usage/types.js';

/**
 * Where a secret lives — never the secret itself. `env`: an environment variable of the process;
 * `ssm`: an SSM Parameter Store (SecureString) parameter name; `secretsManager`: a Secrets Manager
 * secret id or ARN.
 */
export type SecretRef = { env: string } | { ssm: string } | { secretsManager: string };

export interface TenantTelegram {
  botToken: SecretRef;
  /** Required for webhook mode (`/telegram/<tenant>`); long polling does without. */
  webhookSecret?: SecretRef;
  /** Telegram user ids allowed to talk to the bot; `undefined` = everyone, `[]` = nobody. */
  allowedUsers?: readonly number[];
  /**
   * Telegram user ids who may also decide approval requests (Allow / Deny buttons) in the tenant's
   * chats, besides the users allowed to talk to the bot there. They cannot talk to the bot.
   */
  approvers?: readonly number[];
  /** Groups without Topics: `ignore` (default) or `respond` (the whole group is one conversation). */
  nonForumGroups?: 'ignore' | 'respond';
  /** Edited messages: `ignore` (default) or `new-turn` (the edited text is queued as a new turn). */
  editedMessages?: 'ignore' | 'new-turn';
  /** Messages sent while a turn runs: `merge` (default: answered together in one next turn) or `one-by-one`. */
  busyMessages?: 'merge' | 'one-by-one';
}

/** One tenant as configured (secrets still references). */
export interface TenantConfig {
  id: TenantId;
  /** Absent for API-only tenants. */
  telegram?: TenantTelegram;
  /** Bearer tokens that authorise this tenant (and only it) on the HTTP API. */
  apiTokens: readonly SecretRef[];
  /** Tokens that authorise alert events for this tenant (`POST /v1/events/<tenant>`); none: endpoint off. */
  eventTokens?: readonly SecretRef[];
  /** Absolute path of the tenant's agent-config folder (agents, skills, MCP, system prompt). */
  configDir: string;
  /** Model alias (`haiku`, `sonnet`, `opus`) or full id for this tenant's turns. */
  model?: string;
  /**
   * The models a conversation may choose (`/model`, the API's conversation settings): alias → id.
   * Absent: `haiku`, `sonnet`, `opus` (`DEFAULT_MODEL_ALIASES`).
   */
  models?: Readonly<Record<string, string>>;
  /** Model provider for this tenant; must be one the deployment has credentials for. */
  provider?: 'anthropic' | 'bedrock';
  budgets?: TenantBudgets;
  /** Files users may send (kinds, size cap); absent: `DEFAULT_FILE_POLICY` (everything up to 20 MB). */
  files?: FilePolicy;
}

/**
 * A tenant's budgets: USD for the tenant and per user (usage/), and its model requests per minute
 * (counted across containers by the runner, agent/model-rate/).
 */
export interface TenantBudgets extends Budgets {
  modelRequestsPerMinute?: number;
}

/** Every tenant of a deployment, from a tenants file or (single tenant) from the environment. */
export interface TenantsConfig {
  /** Absolute path of the tenants file; `null` when built from environment variables. */
  source: string | null;
  /** In file order. */
  tenants: ReadonlyMap<TenantId, TenantConfig>;
  /** Bearer tokens that authorise every tenant on the HTTP API. */
  adminApiTokens: readonly SecretRef[];
}

/** A tenant's secret values (from `resolveSecrets`). Never log these. */
export interface TenantSecrets {
  botToken?: string;
  webhookSecret?: string;
  apiTokens: string[];
  /** Values of `eventTokens` (set when the tenant has any). */
  eventTokens?: string[];
}

export interface ResolvedTenant extends TenantConfig {
  secrets: TenantSecrets;
}

export interface ResolvedTenants {
  source: string | null;
  tenants: ReadonlyMap<TenantId, ResolvedTenant>;
  adminApiTokens: string[];
  /** Every secret value read, to register with the logger's redaction. */
  secretValues: string[];
}
