import { z } from 'zod';
import { boundedText } from '../core/schema-bounds.js';
import { DAY_MS } from '../core/clock.js';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { TENANT_RE } from '../core/ids.js';
import { MAX_PATH_CHARS, MAX_TELEGRAM_USERS } from '../tenants/limits.js';

/**
 * The only place that reads `process.env`. Everything else receives the parsed `AppEnv`.
 * The variable names here are the single source of truth: template.yaml and the docs use the same.
 */
/**
 * Bounds (issue 18: whatever is accepted, the code behind it can use). Linux passes at most
 * 128 KiB per environment string (MAX_ARG_STRLEN): no value can be longer.
 */
const MAX_VALUE_CHARS = 131_072;
/** URLs (endpoints, the Bot API root). */
const MAX_URL_CHARS = 2048;
/** Names and ids: models, regions, profiles, tables, buckets, queue URLs, SSM parameter names. */
const MAX_NAME_CHARS = 2048;
/** Secrets: API keys, bot tokens, STS session tokens (a few KB at most). */
const MAX_SECRET_CHARS = 16_384;
/** A turn's (and a model request's) longest timeout: a day, far below the 2^31-1 ms a timer holds. */
const MAX_TIMEOUT_MS = DAY_MS;
/** Days usage records are kept: ten years (TTLs and expiry dates stay far inside a JS Date). */
const MAX_RETENTION_DAYS = 3650;

const url = boundedText(MAX_URL_CHARS).url();
const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const csv = boundedText(MAX_VALUE_CHARS).transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);
/** Telegram user ids, comma-separated (every consumer gets numbers, never NaN). */
const userIds = csv
  .pipe(
    z
      .array(z.string().regex(/^\d{1,15}$/, 'must be comma-separated Telegram user ids (positive integers)'))
      .max(MAX_TELEGRAM_USERS, `must list at most ${MAX_TELEGRAM_USERS} users`),
  )
  .meta({ pattern: `^[0-9, ]{0,${MAX_TELEGRAM_USERS * 17}}$` }); // what the pipe accepts, for the bounds audit
/** Milliseconds a timer waits: at least 1, at most `max` (a longer delay would fire at once). */
const timeoutMs = (max: number) => z.coerce.number().int().positive().max(max, `must be at most ${max} ms`);
/** Digits only: an empty value or `-1` is refused instead of coerced. */
const tokenMs = z
  .string()
  .regex(/^\d{1,5}$/, 'must be a whole number of milliseconds (0 = no delay)')
  .transform(Number)
  .pipe(z.number().max(60_000, 'must be at most 60000 ms'));

export const ENV_SCHEMA = z.object({
  /** `production` refuses empty/well-known secrets and the offline model. */
  OMNICLOUD_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Default: `warn` in the terminal chat, `info` in servers and Lambda. */
  OMNICLOUD_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  /** Embedded storage and per-tenant workspaces live here. */
  OMNICLOUD_DATA_DIR: boundedText(MAX_PATH_CHARS).min(1).default('./.data'),
  /**
   * Where each tenant's agent runs (cwd with its skills, the binary's config dir, home, temp):
   * `<dir>/<tenant>/…`. Default `<OMNICLOUD_DATA_DIR>/tenants`. Disposable: history lives in storage.
   */
  OMNICLOUD_WORKSPACE_DIR: boundedText(MAX_PATH_CHARS).min(1).optional(),
  /** Agent configuration folder (agents.json, mcp.json, skills/, system_prompt.md). */
  OMNICLOUD_CONFIG_DIR: boundedText(MAX_PATH_CHARS).min(1).optional(),
  /** `sqlite` (embedded, default) or `cloud` (S3 + DynamoDB). */
  OMNICLOUD_STORAGE: z.enum(['sqlite', 'cloud']).default('sqlite'),
  /** Force the offline demo model even when credentials are present. */
  OMNICLOUD_OFFLINE_MODEL: bool.default(false),
  /** Offline demo model: milliseconds before each word of a `stream <N> words` answer (0 = no delay). */
  OMNICLOUD_DEMO_TOKEN_MS: tokenMs.default(50),
  OMNICLOUD_TENANT: z
    .string()
    .regex(TENANT_RE, "must be a tenant id: 1–32 characters a-z, 0-9 and '-' (not at the ends)")
    .default('default'),
  /** Tenants file (YAML/JSON; docs/tenants.md). Unset: one tenant (OMNICLOUD_TENANT) from these variables. */
  OMNICLOUD_TENANTS_FILE: boundedText(MAX_PATH_CHARS).min(1).optional(),
  /**
   * The webhook ingress Lambda's tenant routes (its zip carries no tenants file): compact JSON
   * `{"<tenant>":{"botToken":{"ssm":"…"},"webhookSecret":{"ssm":"…"},"allowedUsers":[…]}}` with
   * secret references only. Unset: the single tenant from TELEGRAM_BOT_TOKEN / TELEGRAM_WEBHOOK_SECRET.
   */
  OMNICLOUD_TELEGRAM_TENANTS: boundedText(MAX_VALUE_CHARS).min(1).optional(),
  /** Days usage records and counters are kept after their period ends (default 400). */
  OMNICLOUD_USAGE_RETENTION_DAYS: z.coerce.number().int().positive().max(MAX_RETENTION_DAYS).optional(),
  /**
   * Cloud storage: DynamoDB partition keys a tenant's usage is spread over (`<tenant>#u<k>`), 1–24,
   * default 8 (docs/scale.md §8.2). Raise it for a tenant above ~800 turns/s; never lower it within
   * the retention (the dropped shards' counts would go unread).
   */
  OMNICLOUD_USAGE_SHARDS: z.coerce.number().int().min(1).max(24).optional(),
  /**
   * Cloud storage: `1` (default) also reads session items where releases before docs/scale.md §8.1
   * wrote them (`pk` = tenant); `0` stops those reads — safe once the last such item has expired:
   * 50 days after the upgrade (heads; conversations 25, turn ledger 7).
   */
  OMNICLOUD_SESSION_LEGACY_KEYS: z
    .enum(['0', '1'])
    .default('1')
    .transform((v) => v === '1'),
  /** CloudWatch namespace of the EMF metrics the Lambda functions emit (turns, cost, dedupe hits). */
  OMNICLOUD_METRICS_NAMESPACE: boundedText(255).min(1).default('OmniCloud'),
  /** PATH handed to the agent's tools (Bash, stdio MCP servers). */
  PATH: boundedText(MAX_VALUE_CHARS).default('/usr/local/bin:/usr/bin:/bin'),

  // Agent turn limits (a turn must fit a worker's time budget).
  OMNICLOUD_TURN_TIMEOUT_MS: timeoutMs(MAX_TIMEOUT_MS).default(600_000),
  OMNICLOUD_MODEL_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  OMNICLOUD_MODEL_TIMEOUT_MS: timeoutMs(MAX_TIMEOUT_MS).default(120_000),
  OMNICLOUD_MAX_AGENT_TURNS: z.coerce.number().int().positive().max(1000).default(30),
  /** How long the binary waits for an MCP server to connect (a hanging one stalls the turn this long). */
  OMNICLOUD_MCP_TIMEOUT_MS: timeoutMs(600_000).default(5_000),
  /**
   * Live agent processes kept between turns (one per recently active conversation; ~200 MB each).
   * `0` turns warm conversations off (every turn starts the binary and resumes from the store).
   * Default: derived from the memory budget (docs/warm.md).
   */
  OMNICLOUD_WARM_MAX: z.coerce.number().int().min(0).max(256).optional(),
  /**
   * Keep one process started ahead for each tenant's next new conversation (~230 MB each, counted
   * in OMNICLOUD_WARM_MAX). Long-running hosts only; never in Lambda. Default on.
   */
  OMNICLOUD_WARM_SPARES: bool.default(true),
  /**
   * How long an idle live process is kept (default 5 minutes; at most 6 hours — a lease item the
   * process's continuity check relies on lives a day after its last use).
   */
  OMNICLOUD_WARM_IDLE_MS: z.coerce.number().int().min(1_000).max(21_600_000).default(300_000),
  /**
   * How often a running turn checks its lease for a stop request (`/stop` from any container): one
   * strongly consistent read each time (DynamoDB: 1 read unit). Default 1000 ms.
   */
  OMNICLOUD_STOP_POLL_MS: z.coerce.number().int().min(100).max(10_000).default(1_000),
  /** Set by Lambda: the function's memory in MB (sizes the warm pool). */
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: z.coerce.number().int().min(128).max(10_240).optional(),
  /** MCP servers from mcp.json to enable even if marked `"enabled": false` (comma-separated names). */
  OMNICLOUD_ENABLE_MCP_SERVERS: csv.optional(),

  // Tool permission policy (defaults come from the agent configuration).
  OMNICLOUD_PERMISSION_MODE: z
    .enum(['default', 'acceptEdits', 'dontAsk', 'bypassPermissions'])
    .default('default'),
  OMNICLOUD_ALLOWED_TOOLS: csv.optional(),
  OMNICLOUD_DISALLOWED_TOOLS: csv.optional(),

  // Model provider: Anthropic API (key, optional compatible base URL) or Amazon Bedrock.
  ANTHROPIC_API_KEY: boundedText(MAX_SECRET_CHARS).optional(),
  ANTHROPIC_AUTH_TOKEN: boundedText(MAX_SECRET_CHARS).optional(),
  ANTHROPIC_BASE_URL: url.optional(),
  ANTHROPIC_MODEL: boundedText(MAX_NAME_CHARS).optional(),
  ANTHROPIC_DEFAULT_HAIKU_MODEL: boundedText(MAX_NAME_CHARS).optional(),
  ANTHROPIC_DEFAULT_SONNET_MODEL: boundedText(MAX_NAME_CHARS).optional(),
  ANTHROPIC_DEFAULT_OPUS_MODEL: boundedText(MAX_NAME_CHARS).optional(),
  CLAUDE_CODE_USE_BEDROCK: bool.default(false),
  ANTHROPIC_BEDROCK_BASE_URL: url.optional(),
  AWS_REGION: boundedText(MAX_NAME_CHARS).optional(),
  AWS_ACCESS_KEY_ID: boundedText(MAX_SECRET_CHARS).optional(),
  AWS_SECRET_ACCESS_KEY: boundedText(MAX_SECRET_CHARS).optional(),
  AWS_SESSION_TOKEN: boundedText(MAX_SECRET_CHARS).optional(),
  AWS_PROFILE: boundedText(MAX_NAME_CHARS).optional(),
  AWS_SHARED_CREDENTIALS_FILE: boundedText(MAX_PATH_CHARS).optional(),
  AWS_BEARER_TOKEN_BEDROCK: boundedText(MAX_SECRET_CHARS).optional(),
  /** The original's dedicated Bedrock credentials (win over the role's when set). */
  BEDROCK_ACCESS_KEY_ID: boundedText(MAX_SECRET_CHARS).optional(),
  BEDROCK_SECRET_ACCESS_KEY: boundedText(MAX_SECRET_CHARS).optional(),

  // Cloud storage.
  SESSION_BUCKET: boundedText(MAX_NAME_CHARS).optional(),
  SESSION_TABLE: boundedText(MAX_NAME_CHARS).optional(),
  AWS_ENDPOINT_URL_S3: url.optional(),
  AWS_ENDPOINT_URL_DYNAMODB: url.optional(),

  // Telegram.
  TELEGRAM_BOT_TOKEN: boundedText(MAX_SECRET_CHARS).optional(),
  TELEGRAM_WEBHOOK_SECRET: boundedText(MAX_SECRET_CHARS).optional(),
  TELEGRAM_API_ROOT: url.optional(),
  TELEGRAM_ALLOWED_USERS: userIds.optional(),
  /** Groups without Topics: `ignore` (default) or `respond` (the whole group is one conversation). */
  TELEGRAM_NON_FORUM_GROUPS: z.enum(['ignore', 'respond']).optional(),
  /** Live replies: the answer streamed (drafts / an edited message) and tool progress with a Stop button. Default on. */
  TELEGRAM_LIVE_REPLIES: bool.default(true),
  /** Least time between two live updates in a private chat (default 1100 ms). */
  TELEGRAM_LIVE_EDIT_MS: z.coerce.number().int().min(100).max(60_000).optional(),
  /** The same in groups and topics (default 3100 ms: Telegram allows 20 messages a minute there). */
  TELEGRAM_LIVE_GROUP_EDIT_MS: z.coerce.number().int().min(100).max(60_000).optional(),
  /** After this long without progress the status message says so (default 60000 ms). */
  TELEGRAM_LIVE_STALL_MS: z.coerce.number().int().min(1000).max(3_600_000).optional(),
  /**
   * Calls per second per bot paced before sending (Telegram: ~30; default 28). Shared between
   * workers through the storage table with OMNICLOUD_STORAGE=cloud, in-process otherwise. 0: off.
   */
  TELEGRAM_SEND_PER_SECOND: z.coerce.number().int().min(0).max(1000).default(28),
  /** Edited messages: `ignore` (default) or `new-turn` (the edited text is queued as a new turn). */
  TELEGRAM_EDITED_MESSAGES: z.enum(['ignore', 'new-turn']).optional(),
  /** Messages sent while a turn runs: `merge` (default: answered together in one next turn) or `one-by-one`. */
  TELEGRAM_BUSY_MESSAGES: z.enum(['merge', 'one-by-one']).optional(),
  OMNICLOUD_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  /**
   * The web console under `/console` of the agent HTTP API (docs/console.md): served wherever the
   * API is, with token auth (`omnicloud serve`, the Lambda Function URL with ApiAuthMode=token, and
   * next to `npm start`'s terminal chat). `0` turns it off; the API stays. Default on.
   */
  OMNICLOUD_CONSOLE: bool.default(true),

  // Queue (AWS).
  QUEUE_URL: boundedText(MAX_NAME_CHARS).optional(),
  /** DynamoDB table of the webhook ingress's idempotency records (update_id dedupe), AWS only. */
  DEDUPE_TABLE: boundedText(MAX_NAME_CHARS).optional(),
  AWS_ENDPOINT_URL_SQS: url.optional(),

  // Schedules on AWS (docs/schedules.md): the EventBridge Scheduler target of the schedule sync.
  /** Scheduler group holding one schedule per stored schedule (the stack's ScheduleGroup). */
  OMNICLOUD_SCHEDULE_GROUP: z
    .string()
    .regex(/^[0-9a-zA-Z_.-]{1,64}$/, 'must be a schedule group name (1–64 characters 0-9 a-z A-Z _ . -)')
    .optional(),
  /** Role Scheduler assumes to send runs to the queue (the stack's SchedulerRole). */
  OMNICLOUD_SCHEDULE_ROLE_ARN: z
    .string()
    .max(MAX_NAME_CHARS)
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN')
    .optional(),
  /** ARN of the FIFO work queue (QUEUE_URL's queue) every schedule sends its runs to. */
  OMNICLOUD_QUEUE_ARN: z
    .string()
    .max(MAX_NAME_CHARS)
    .regex(/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]{1,75}\.fifo$/, 'must be the ARN of a FIFO queue')
    .optional(),
  AWS_ENDPOINT_URL_SCHEDULER: url.optional(),

  // Agent HTTP API.
  API_AUTH_MODE: z.enum(['token', 'iam']).default('token'),
  API_AUTH_TOKEN: boundedText(MAX_SECRET_CHARS).optional(),
  /** Tenants the API token (or IAM caller) may address: comma-separated ids, or `*` for all. Default: OMNICLOUD_TENANT. */
  API_AUTH_TENANTS: csv.optional(),
  /**
   * Single-tenant mode: the token of `POST /v1/events/<OMNICLOUD_TENANT>` (Bearer, or the password of
   * an SNS subscription URL's Basic credentials). Unset: the alert endpoint is off. docs/events.md.
   */
  OMNICLOUD_EVENTS_TOKEN: boundedText(MAX_SECRET_CHARS).optional(),
  /** Heartbeat of a streamed `POST /v1/chat` (an SSE `: ping` comment), in ms. */
  API_SSE_HEARTBEAT_MS: z.coerce.number().int().min(1000).max(300_000).default(15_000),

  // Secrets in AWS: NAMES of SSM SecureString parameters (or `/aws/reference/secretsmanager/<id>`),
  // resolved at cold start by config/secrets.ts into the variable of the same name without `_PARAM`.
  TELEGRAM_BOT_TOKEN_PARAM: boundedText(MAX_NAME_CHARS).optional(),
  TELEGRAM_WEBHOOK_SECRET_PARAM: boundedText(MAX_NAME_CHARS).optional(),
  API_AUTH_TOKEN_PARAM: boundedText(MAX_NAME_CHARS).optional(),
  ANTHROPIC_API_KEY_PARAM: boundedText(MAX_NAME_CHARS).optional(),
  BEDROCK_ACCESS_KEY_ID_PARAM: boundedText(MAX_NAME_CHARS).optional(),
  BEDROCK_SECRET_ACCESS_KEY_PARAM: boundedText(MAX_NAME_CHARS).optional(),
  AWS_BEARER_TOKEN_BEDROCK_PARAM: boundedText(MAX_NAME_CHARS).optional(),
});

export type AppEnv = z.infer<typeof ENV_SCHEMA>;

/** Parse an environment record (default `process.env`); every problem is reported at once. */
export function parseEnv(source: Record<string, string | undefined> = process.env): AppEnv {
  return parseWith(ENV_SCHEMA, source);
}

/**
 * Only `OMNICLOUD_DEMO_TOKEN_MS` (default 50): for an offline model server started outside the
 * composition root (tests, benchmarks), which must not fail on unrelated variables.
 */
export function readDemoTokenMs(source: Record<string, string | undefined> = process.env): number {
  return parseWith(ENV_SCHEMA.pick({ OMNICLOUD_DEMO_TOKEN_MS: true }), source).OMNICLOUD_DEMO_TOKEN_MS;
}

function parseWith<S extends z.ZodObject>(schema: S, source: Record<string, string | undefined>): z.infer<S> {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = source[key];
    if (value !== undefined) picked[key] = value;
  }
  const result = schema.safeParse(picked);
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => ({
    file: 'environment',
    // The variable (an item of a comma-separated list is still that variable).
    field: String(issue.path[0] ?? ''),
    message: issue.message,
  }));
  throw new ConfigError(issues);
}

/** The secret values among the parsed variables, for the loggers' masking (every process registers them). */
export function envSecretValues(env: AppEnv): string[] {
  return [
    env.ANTHROPIC_API_KEY,
    env.ANTHROPIC_AUTH_TOKEN,
    env.AWS_SECRET_ACCESS_KEY,
    env.AWS_SESSION_TOKEN,
    env.AWS_BEARER_TOKEN_BEDROCK,
    env.BEDROCK_SECRET_ACCESS_KEY,
    env.TELEGRAM_BOT_TOKEN,
    env.TELEGRAM_WEBHOOK_SECRET,
    env.API_AUTH_TOKEN,
    env.OMNICLOUD_EVENTS_TOKEN,
  ].filter((v): v is string => typeof v === 'string' && v.length > 0);
}
