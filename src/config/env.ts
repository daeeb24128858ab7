import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/errors.js';

/**
 * The only place that reads `process.env`. Everything else receives the parsed `AppEnv`.
 * The variable names here are the single source of truth: template.yaml and the docs use the same.
 */
const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);
const positiveInt = z.coerce.number().int().positive();
/** Digits only: an empty value or `-1` is refused instead of coerced. */
const tokenMs = z
  .string()
  .regex(/^\d+$/, 'must be a whole number of milliseconds (0 = no delay)')
  .transform(Number)
  .pipe(z.number().max(60_000, 'must be at most 60000 ms'));

export const ENV_SCHEMA = z.object({
  /** `production` refuses empty/well-known secrets and the offline model. */
  OMNICLOUD_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Default: `warn` in the terminal chat, `info` in servers and Lambda. */
  OMNICLOUD_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  /** Embedded storage and per-tenant workspaces live here. */
  OMNICLOUD_DATA_DIR: z.string().min(1).default('./.data'),
  /**
   * Where each tenant's agent runs (cwd with its skills, the binary's config dir, home, temp):
   * `<dir>/<tenant>/…`. Default `<OMNICLOUD_DATA_DIR>/tenants`. Disposable: history lives in storage.
   */
  OMNICLOUD_WORKSPACE_DIR: z.string().min(1).optional(),
  /** Agent configuration folder (agents.json, mcp.json, skills/, system_prompt.md). */
  OMNICLOUD_CONFIG_DIR: z.string().min(1).optional(),
  /** `sqlite` (embedded, default) or `cloud` (S3 + DynamoDB). */
  OMNICLOUD_STORAGE: z.enum(['sqlite', 'cloud']).default('sqlite'),
  /** Force the offline demo model even when credentials are present. */
  OMNICLOUD_OFFLINE_MODEL: bool.default(false),
  /** Offline demo model: milliseconds before each word of a `stream <N> words` answer (0 = no delay). */
  OMNICLOUD_DEMO_TOKEN_MS: tokenMs.default(50),
  OMNICLOUD_TENANT: z.string().default('default'),
  /** Tenants file (YAML/JSON; docs/tenants.md). Unset: one tenant (OMNICLOUD_TENANT) from these variables. */
  OMNICLOUD_TENANTS_FILE: z.string().min(1).optional(),
  /**
   * The webhook ingress Lambda's tenant routes (its zip carries no tenants file): compact JSON
   * `{"<tenant>":{"botToken":{"ssm":"…"},"webhookSecret":{"ssm":"…"},"allowedUsers":[…]}}` with
   * secret references only. Unset: the single tenant from TELEGRAM_BOT_TOKEN / TELEGRAM_WEBHOOK_SECRET.
   */
  OMNICLOUD_TELEGRAM_TENANTS: z.string().min(1).optional(),
  /** Days usage records and counters are kept after their period ends (default 400). */
  OMNICLOUD_USAGE_RETENTION_DAYS: positiveInt.optional(),
  /** CloudWatch namespace of the EMF metrics the Lambda functions emit (turns, cost, dedupe hits). */
  OMNICLOUD_METRICS_NAMESPACE: z.string().min(1).default('OmniCloud'),
  /** PATH handed to the agent's tools (Bash, stdio MCP servers). */
  PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),

  // Agent turn limits (a turn must fit a worker's time budget).
  OMNICLOUD_TURN_TIMEOUT_MS: positiveInt.default(600_000),
  OMNICLOUD_MODEL_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  OMNICLOUD_MODEL_TIMEOUT_MS: positiveInt.default(120_000),
  OMNICLOUD_MAX_AGENT_TURNS: positiveInt.default(30),
  /** How long the binary waits for an MCP server to connect (a hanging one stalls the turn this long). */
  OMNICLOUD_MCP_TIMEOUT_MS: positiveInt.default(5_000),
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
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_AUTH_TOKEN: z.string().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  ANTHROPIC_MODEL: z.string().optional(),
  ANTHROPIC_DEFAULT_HAIKU_MODEL: z.string().optional(),
  ANTHROPIC_DEFAULT_SONNET_MODEL: z.string().optional(),
  ANTHROPIC_DEFAULT_OPUS_MODEL: z.string().optional(),
  CLAUDE_CODE_USE_BEDROCK: bool.default(false),
  ANTHROPIC_BEDROCK_BASE_URL: z.string().url().optional(),
  AWS_REGION: z.string().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
  AWS_PROFILE: z.string().optional(),
  AWS_SHARED_CREDENTIALS_FILE: z.string().optional(),
  AWS_BEARER_TOKEN_BEDROCK: z.string().optional(),
  /** The original's dedicated Bedrock credentials (win over the role's when set). */
  BEDROCK_ACCESS_KEY_ID: z.string().optional(),
  BEDROCK_SECRET_ACCESS_KEY: z.string().optional(),

  // Cloud storage.
  SESSION_BUCKET: z.string().optional(),
  SESSION_TABLE: z.string().optional(),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  AWS_ENDPOINT_URL_DYNAMODB: z.string().url().optional(),

  // Telegram.
  TELEGRAM_BOT_TOKEN: z.string().optional(),
  TELEGRAM_WEBHOOK_SECRET: z.string().optional(),
  TELEGRAM_API_ROOT: z.string().url().optional(),
  TELEGRAM_ALLOWED_USERS: csv.optional(),
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

  // Queue (AWS).
  QUEUE_URL: z.string().optional(),
  /** DynamoDB table of the webhook ingress's idempotency records (update_id dedupe), AWS only. */
  DEDUPE_TABLE: z.string().optional(),
  AWS_ENDPOINT_URL_SQS: z.string().url().optional(),

  // Schedules on AWS (docs/schedules.md): the EventBridge Scheduler target of the schedule sync.
  /** Scheduler group holding one schedule per stored schedule (the stack's ScheduleGroup). */
  OMNICLOUD_SCHEDULE_GROUP: z
    .string()
    .regex(/^[0-9a-zA-Z_.-]{1,64}$/, 'must be a schedule group name (1–64 characters 0-9 a-z A-Z _ . -)')
    .optional(),
  /** Role Scheduler assumes to send runs to the queue (the stack's SchedulerRole). */
  OMNICLOUD_SCHEDULE_ROLE_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN')
    .optional(),
  /** ARN of the FIFO work queue (QUEUE_URL's queue) every schedule sends its runs to. */
  OMNICLOUD_QUEUE_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]{1,75}\.fifo$/, 'must be the ARN of a FIFO queue')
    .optional(),
  AWS_ENDPOINT_URL_SCHEDULER: z.string().url().optional(),

  // Agent HTTP API.
  API_AUTH_MODE: z.enum(['token', 'iam']).default('token'),
  API_AUTH_TOKEN: z.string().optional(),
  /** Tenants the API token (or IAM caller) may address: comma-separated ids, or `*` for all. Default: OMNICLOUD_TENANT. */
  API_AUTH_TENANTS: csv.optional(),
  /**
   * Single-tenant mode: the token of `POST /v1/events/<OMNICLOUD_TENANT>` (Bearer, or the password of
   * an SNS subscription URL's Basic credentials). Unset: the alert endpoint is off. docs/events.md.
   */
  OMNICLOUD_EVENTS_TOKEN: z.string().optional(),
  /** Heartbeat of a streamed `POST /v1/chat` (an SSE `: ping` comment), in ms. */
  API_SSE_HEARTBEAT_MS: z.coerce.number().int().min(1000).max(300_000).default(15_000),

  // Secrets in AWS: NAMES of SSM SecureString parameters (or `/aws/reference/secretsmanager/<id>`),
  // resolved at cold start by config/secrets.ts into the variable of the same name without `_PARAM`.
  TELEGRAM_BOT_TOKEN_PARAM: z.string().optional(),
  TELEGRAM_WEBHOOK_SECRET_PARAM: z.string().optional(),
  API_AUTH_TOKEN_PARAM: z.string().optional(),
  ANTHROPIC_API_KEY_PARAM: z.string().optional(),
  BEDROCK_ACCESS_KEY_ID_PARAM: z.string().optional(),
  BEDROCK_SECRET_ACCESS_KEY_PARAM: z.string().optional(),
  AWS_BEARER_TOKEN_BEDROCK_PARAM: z.string().optional(),
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
    field: issue.path.join('.'),
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
