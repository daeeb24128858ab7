import { z } from 'zod';
import { DEFAULT_FILE_POLICY, MAX_SEND_BYTES } from '../../files/types.js';
import type { AppEnv } from '../../config/env.js';
import { ConfigError, type ConfigIssue } from '../../core/errors.js';
import { isTenantId, parseTenantId, TENANT_RE, type TenantId } from '../../core/ids.js';
import { boundedRecord } from '../../core/schema-bounds.js';
import { MAX_TELEGRAM_USERS, MAX_TENANTS } from '../../tenants/limits.js';
import { sharedReferences } from '../../tenants/load.js';
import { SECRET_REF_SCHEMA } from '../../tenants/secret-ref.js';
import { resolveSecrets, type SecretResolver } from '../../tenants/secrets.js';
import type { TenantConfig, TenantsConfig } from '../../tenants/types.js';

/** One tenant's webhook route with its secrets read: what the ingress needs, nothing more. */
export interface TelegramRoute {
  tenant: TenantId;
  botToken: string;
  webhookSecret: string;
  /** `undefined` = everyone, `[]` = nobody. */
  allowedUsers: readonly number[] | undefined;
  /** Groups without Topics: `ignore` (default) or `respond`. */
  nonForumGroups: 'ignore' | 'respond' | undefined;
  /** Edited messages: `ignore` (default) or `new-turn`. */
  editedMessages: 'ignore' | 'new-turn' | undefined;
  /** Who may also decide approval requests (`telegram.approvers`). */
  approvers?: readonly number[] | undefined;
  /** The tenant's file cap (`files.maxMb`): larger photos and documents are refused at the webhook. */
  maxFileBytes?: number | undefined;
}

const SOURCE = 'OMNICLOUD_TELEGRAM_TENANTS';

const route = z.strictObject({
  botToken: SECRET_REF_SCHEMA,
  webhookSecret: SECRET_REF_SCHEMA,
  allowedUsers: z.array(z.number().int().positive()).max(MAX_TELEGRAM_USERS).optional(),
  approvers: z.array(z.number().int().positive()).max(MAX_TELEGRAM_USERS).optional(),
  nonForumGroups: z.enum(['ignore', 'respond']).optional(),
  editedMessages: z.enum(['ignore', 'new-turn']).optional(),
  maxFileBytes: z.number().int().positive().max(MAX_SEND_BYTES).optional(),
});
/** OMNICLOUD_TELEGRAM_TENANTS: tenant id (checked by `parseTenantId`; pattern declared for the audit) → route. */
export const ROUTES_SCHEMA = boundedRecord(
  z.string().meta({ pattern: TENANT_RE.source }),
  route,
  MAX_TENANTS,
).meta({ minProperties: 1 });

/**
 * The value of OMNICLOUD_TELEGRAM_TENANTS for a tenants file: every tenant with a bot and a
 * webhook secret, references only (never values), as compact JSON. The webhook Lambda's zip
 * carries no tenants file and no agent-config folders; this is all it needs to route
 * `/telegram/<tenant>`.
 */
export function telegramRoutesSpec(config: TenantsConfig): string {
  const out: Record<string, z.input<typeof route>> = {};
  for (const t of config.tenants.values()) {
    const tg = t.telegram;
    if (!tg?.webhookSecret) continue;
    out[t.id] = {
      botToken: tg.botToken,
      webhookSecret: tg.webhookSecret,
      ...(tg.allowedUsers ? { allowedUsers: [...tg.allowedUsers] } : {}),
      ...(tg.approvers?.length ? { approvers: [...tg.approvers] } : {}),
      ...(tg.nonForumGroups ? { nonForumGroups: tg.nonForumGroups } : {}),
      ...(tg.editedMessages ? { editedMessages: tg.editedMessages } : {}),
      ...(t.files ? { maxFileBytes: t.files.maxBytes } : {}),
    };
  }
  return JSON.stringify(out);
}

/** Parse OMNICLOUD_TELEGRAM_TENANTS into a tenants config (secrets still references). */
export function parseTelegramRoutes(text: string): TenantsConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError([{ file: 'environment', field: SOURCE, message: 'is not valid JSON' }]);
  }
  const parsed = ROUTES_SCHEMA.safeParse(raw);
  const issues: ConfigIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({
        file: 'environment',
        field: [SOURCE, ...i.path.map(String)].join('.'),
        message: i.message,
      }));
  const entries = parsed.success ? Object.entries(parsed.data) : [];
  for (const [id] of entries) {
    if (!isTenantId(id))
      issues.push({
        file: 'environment',
        field: `${SOURCE}.${id.slice(0, 40)}`,
        message: 'invalid tenant id',
      });
  }
  if (parsed.success && entries.length === 0) {
    issues.push({ file: 'environment', field: SOURCE, message: 'must list at least one tenant' });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const tenants = new Map<TenantId, TenantConfig>();
  for (const [key, r] of entries) {
    const id = parseTenantId(key);
    const telegram = {
      botToken: r.botToken,
      webhookSecret: r.webhookSecret,
      ...(r.allowedUsers ? { allowedUsers: r.allowedUsers } : {}),
      ...(r.approvers ? { approvers: r.approvers } : {}),
      ...(r.nonForumGroups ? { nonForumGroups: r.nonForumGroups } : {}),
      ...(r.editedMessages ? { editedMessages: r.editedMessages } : {}),
    };
    tenants.set(id, {
      id,
      telegram,
      apiTokens: [],
      configDir: '',
      ...(r.maxFileBytes !== undefined
        ? { files: { ...DEFAULT_FILE_POLICY, maxBytes: r.maxFileBytes } }
        : {}),
    });
  }
  const config: TenantsConfig = { source: SOURCE, tenants, adminApiTokens: [] };
  const shared = sharedReferences(config);
  if (shared.length > 0) throw new ConfigError(shared);
  return config;
}

/**
 * Env-mode (single tenant): TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, TELEGRAM_ALLOWED_USERS,
 * TELEGRAM_NON_FORUM_GROUPS, TELEGRAM_EDITED_MESSAGES.
 */
function singleTenantRoute(env: AppEnv): TelegramRoute {
  const issues: ConfigIssue[] = (['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET'] as const)
    .filter((name) => !env[name])
    .map((name) => ({ file: 'environment', field: name, message: 'required by the Telegram ingress' }));
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    tenant: parseTenantId(env.OMNICLOUD_TENANT),
    botToken: env.TELEGRAM_BOT_TOKEN as string,
    webhookSecret: env.TELEGRAM_WEBHOOK_SECRET as string,
    allowedUsers: env.TELEGRAM_ALLOWED_USERS?.map(Number),
    nonForumGroups: env.TELEGRAM_NON_FORUM_GROUPS,
    editedMessages: env.TELEGRAM_EDITED_MESSAGES,
  };
}

/**
 * The ingress's routes: from OMNICLOUD_TELEGRAM_TENANTS (secrets read in one resolver call, values
 * shared by two tenants refused), else the single tenant of the environment.
 */
export async function loadTelegramRoutes(
  env: AppEnv,
  resolver: SecretResolver,
): Promise<{ routes: TelegramRoute[]; secretValues: string[] }> {
  if (!env.OMNICLOUD_TELEGRAM_TENANTS) return { routes: [singleTenantRoute(env)], secretValues: [] };
  const resolved = await resolveSecrets(parseTelegramRoutes(env.OMNICLOUD_TELEGRAM_TENANTS), resolver);
  const routes = [...resolved.tenants.values()].map((t) => ({
    tenant: t.id,
    botToken: t.secrets.botToken as string,
    webhookSecret: t.secrets.webhookSecret as string,
    allowedUsers: t.telegram?.allowedUsers,
    approvers: t.telegram?.approvers,
    nonForumGroups: t.telegram?.nonForumGroups,
    editedMessages: t.telegram?.editedMessages,
    maxFileBytes: t.files?.maxBytes,
  }));
  return { routes, secretValues: resolved.secretValues };
}
