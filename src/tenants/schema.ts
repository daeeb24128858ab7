import { z } from 'zod';
import { FILE_KINDS } from '../files/types.js';
import { MAX_MODEL_ALIASES, MODEL_ALIAS_RE, RESERVED_MODEL_ALIASES } from './models.js';
import { TENANT_RE } from '../core/ids.js';
import {
  MAX_BUDGET_USD,
  MAX_FILE_MB,
  MAX_MODEL_REQUESTS_PER_MINUTE,
  MAX_PATH_CHARS,
  MAX_TELEGRAM_USERS,
  MAX_TENANTS,
  MAX_TOKEN_REFS,
  MIN_FILE_MB,
} from './limits.js';
import { SECRET_REF_SCHEMA } from './secret-ref.js';

/**
 * The tenants file (YAML; JSON is valid YAML too). Unknown fields are errors, so a typo never
 * silently drops a setting. Tenant ids are the keys of `tenants`; they are validated by the loader
 * with `parseTenantId` so the message matches everywhere else.
 *
 * ```yaml
 * version: 1
 * admin:
 *   apiTokens: [{ ssm: /omnicloud/prod/admin-api-token }]
 * tenants:
 *   acme:
 *     configDir: ./acme                # relative to this file
 *     telegram:
 *       botToken: { ssm: /omnicloud/prod/acme/bot-token }
 *       webhookSecret: { ssm: /omnicloud/prod/acme/webhook-secret }
 *       allowedUsers: [123456789]
 *       approvers: [555000111]         # may also decide approval requests (not talk to the bot)
 *       nonForumGroups: respond        # groups without Topics: ignore (default) | respond
 *       editedMessages: new-turn       # edited messages: ignore (default) | new-turn
 *       busyMessages: one-by-one       # messages sent while busy: merge (default) | one-by-one
 *     api:
 *       tokens: [{ env: ACME_API_TOKEN }]
 *     events:                          # POST /v1/events/acme (docs/events.md)
 *       tokens: [{ ssm: /omnicloud/prod/acme/events-token }]
 *     model: sonnet
 *     models: { fast: haiku, deep: opus, bedrock-sonnet: us.anthropic.claude-sonnet-4-5-20250929-v1:0 }  # /model choices
 *     budgets:
 *       tenant: { dayUsd: 20, monthUsd: 300 }
 *       user: { dayUsd: 5 }
 *       modelRequestsPerMinute: 600    # turns wait for capacity above it (all containers together)
 *     files: { maxMb: 10, allow: [image, pdf, text] }   # default: every kind, 20 MB
 * ```
 */
const secretRef = SECRET_REF_SCHEMA;
const tokenRefs = z
  .array(secretRef)
  .max(MAX_TOKEN_REFS, { error: `must list at most ${MAX_TOKEN_REFS} tokens` });

const modelId = z
  .string()
  .regex(/^[A-Za-z0-9._:/@[\]-]{1,200}$/, { error: 'must be a model alias (haiku, sonnet, opus) or id' });

const usd = z
  .number({ error: 'must be a number of USD' })
  .finite()
  .min(0, { error: 'must be ≥ 0 (0 refuses every turn)' })
  .max(MAX_BUDGET_USD, { error: `must be at most ${MAX_BUDGET_USD} USD` });

const budgetLimit = z.strictObject({ dayUsd: usd.optional(), monthUsd: usd.optional() });

/** Model requests a minute for the whole tenant, counted across containers (docs/scale.md §8.7). */
const modelRequestsPerMinute = z
  .number({ error: 'must be a whole number of model requests per minute' })
  .int({ error: 'must be a whole number of model requests per minute' })
  .min(1, { error: 'must be ≥ 1 (omit it for no limit)' })
  .max(MAX_MODEL_REQUESTS_PER_MINUTE, {
    error: `must be at most ${MAX_MODEL_REQUESTS_PER_MINUTE} requests per minute`,
  });

const telegramUserId = z
  .unknown()
  .transform((value, ctx): number => {
    const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) return n;
    ctx.addIssue({ code: 'custom', message: 'must be a Telegram user id (a positive integer)' });
    return z.NEVER;
  })
  // What the transform accepts, for the bounds audit (a number, or digits as YAML may quote them).
  .meta({
    anyOf: [
      { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
      { type: 'string', pattern: '^[1-9][0-9]{0,14}$' },
    ],
  });
const telegramUsers = z
  .array(telegramUserId)
  .max(MAX_TELEGRAM_USERS, { error: `must list at most ${MAX_TELEGRAM_USERS} users` });

const tenant = z.strictObject({
  configDir: z
    .string({ error: 'must be the path of the agent-config folder (relative to this file)' })
    .min(1)
    .max(MAX_PATH_CHARS, { error: `must be at most ${MAX_PATH_CHARS} characters` }),
  telegram: z
    .strictObject({
      botToken: secretRef,
      webhookSecret: secretRef.optional(),
      allowedUsers: telegramUsers.optional(),
      approvers: telegramUsers.optional(),
      nonForumGroups: z.enum(['ignore', 'respond'], { error: "must be 'ignore' or 'respond'" }).optional(),
      editedMessages: z.enum(['ignore', 'new-turn'], { error: "must be 'ignore' or 'new-turn'" }).optional(),
      busyMessages: z.enum(['merge', 'one-by-one'], { error: "must be 'merge' or 'one-by-one'" }).optional(),
    })
    .optional(),
  api: z.strictObject({ tokens: tokenRefs.default([]) }).optional(),
  events: z
    .strictObject({
      tokens: tokenRefs.min(1, { error: 'must list at least one token (or drop `events`)' }),
    })
    .optional(),
  model: modelId.optional(),
  models: z
    .record(
      z
        .string()
        .regex(MODEL_ALIAS_RE, {
          error: 'a model alias must be 1–32 of a-z 0-9 . _ - (starting with a letter or digit)',
        })
        .refine((alias) => !RESERVED_MODEL_ALIASES.includes(alias), {
          error: `${RESERVED_MODEL_ALIASES.join(' and ')} are reserved (\`/model default\` clears the choice)`,
        }),
      modelId,
      {
        // A value that is not a mapping; a bad alias says why (zod wraps key issues in `invalid_key`).
        error: (issue) =>
          issue.code === 'invalid_type'
            ? 'must map model aliases to model ids (e.g. { fast: haiku, deep: opus })'
            : issue.code === 'invalid_key'
              ? (issue as { issues?: Array<{ message?: string }> }).issues?.[0]?.message
              : undefined,
      },
    )
    .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= MAX_MODEL_ALIASES, {
      error: `must name 1–${MAX_MODEL_ALIASES} models`,
    })
    .meta({ minProperties: 1, maxProperties: MAX_MODEL_ALIASES })
    .optional(),
  provider: z.enum(['anthropic', 'bedrock']).optional(),
  budgets: z
    .strictObject({
      tenant: budgetLimit.optional(),
      user: budgetLimit.optional(),
      modelRequestsPerMinute: modelRequestsPerMinute.optional(),
    })
    .optional(),
  files: z
    .strictObject({
      maxMb: z
        .number({ error: 'must be a number of megabytes' })
        .min(MIN_FILE_MB, { error: 'must be at least 1/1024 (1 KB)' })
        .max(MAX_FILE_MB, {
          error: `must be ≤ ${MAX_FILE_MB} (the Bot API uploads at most 50 MB; it downloads at most 20 MB)`,
        })
        .optional(),
      allow: z
        .array(z.enum(FILE_KINDS, { error: `must be one of ${FILE_KINDS.join(', ')}` }), {
          error: `must be a list of kinds (${FILE_KINDS.join(', ')})`,
        })
        .refine((kinds) => new Set(kinds).size === kinds.length, { error: 'must name each kind once' })
        // Each kind once: at most as many as there are kinds (declared for the bounds audit).
        .meta({ maxItems: FILE_KINDS.length })
        .optional(),
    })
    .optional(),
});

export const TENANTS_FILE_SCHEMA = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }),
  admin: z.strictObject({ apiTokens: tokenRefs.default([]) }).optional(),
  tenants: z
    // The loader checks each id (`parseTenantId`, one message everywhere); the pattern is declared
    // for the bounds audit.
    .record(z.string().meta({ pattern: TENANT_RE.source }), tenant, {
      error: 'must map tenant ids to tenant settings',
    })
    .refine((t) => Object.keys(t).length <= MAX_TENANTS, {
      error: `must list at most ${MAX_TENANTS} tenants`,
    })
    .meta({ minProperties: 1, maxProperties: MAX_TENANTS }),
});

export type TenantsFile = z.infer<typeof TENANTS_FILE_SCHEMA>;
