import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWarmPool } from '../../src/agent/warm/pool.js';
import { buildDeps } from '../../src/app/build-deps.js';
import { loadTelegramRoutes } from '../../src/app/lambda/telegram-routes.js';
import { liveOptionsOf } from '../../src/app/live-options.js';
import { buildStores } from '../../src/app/storage.js';
import { defaultAgentConfigDir } from '../../src/config/agent-config/index.js';
import { ENV_SCHEMA, parseEnv, type AppEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseTenantId } from '../../src/core/ids.js';
import { conversationKey } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { createEnvSecretResolver, loadTenants } from '../../src/tenants/index.js';
import { checkConfigBoundary } from './bounds-harness.js';
import { SEED, watchCrashes } from './figures.js';
import { boundIssues, jsonSchemaOf, type SchemaCase } from './schema-cases.js';

/**
 * Bounds of the environment (issue 18): `ENV_SCHEMA` audited, and schema-derived environments
 * through `parseEnv` into what builds the app offline — SQLite storage and usage in a temp dir
 * (a usage turn recorded with the retention, a budget checked), the tenants, the webhook
 * ingress's routes, the live-reply options, the warm pool — and, for a bounded sample, the whole
 * `buildDeps`. One turn runs through the offline model with every limit at its maximum: a timeout
 * above 2^31-1 ms fires at once in Node, so an accepted maximum must still let a turn finish.
 */

const TIMER_MAX_MS = 2 ** 31 - 1;
const silent = createLogger({ level: 'error', write: () => {} });
const crashWatch = watchCrashes();
/** Each case spends as its own user (the data folder is shared). */
let userNo = 0;
let base: string;
let tenantsFile: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'omni-bounds-env-'));
  await mkdir(join(base, 'acme'));
  tenantsFile = join(base, 'tenants.yaml');
  await writeFile(
    tenantsFile,
    'version: 1\ntenants:\n  acme:\n    configDir: ./acme\n    telegram: { botToken: { env: ACME_BOT }, webhookSecret: { env: ACME_HOOK } }\n',
  );
});
afterAll(async () => {
  crashWatch.stop();
  await rm(base, { recursive: true, force: true });
});

const properties = jsonSchemaOf(ENV_SCHEMA).properties ?? {};
const isNumeric = (name: string) => ['number', 'integer'].includes(String(properties[name]?.type));

/** Variables naming files, folders and other deployments: pointed at real ones unless that is the broken field. */
function realPlaces(): Record<string, string> {
  // One data folder for every case: opening an existing SQLite file keeps a case in milliseconds.
  const dir = join(base, 'data');
  return {
    OMNICLOUD_DATA_DIR: dir,
    OMNICLOUD_WORKSPACE_DIR: join(dir, 'ws'),
    OMNICLOUD_CONFIG_DIR: defaultAgentConfigDir(),
    OMNICLOUD_TENANTS_FILE: tenantsFile,
    OMNICLOUD_TELEGRAM_TENANTS: JSON.stringify({
      acme: { botToken: { env: 'ACME_BOT' }, webhookSecret: { env: 'ACME_HOOK' } },
    }),
    OMNICLOUD_STORAGE: 'sqlite',
    OMNICLOUD_ENV: 'test',
    OMNICLOUD_LOG_LEVEL: 'error',
  };
}

/** An environment holds strings only: numbers become digits, a wrong JSON type a non-number. */
function asEnvironment(c: SchemaCase): SchemaCase | undefined {
  if (typeof c.value !== 'object' || c.value === null || Array.isArray(c.value)) return undefined;
  const field = c.kind === 'invalid' ? c.path.split('.')[0] : undefined;
  if (c.kind === 'invalid' && c.broke.startsWith('type')) {
    if (field === undefined || field === '' || !isNumeric(field)) return undefined;
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.value)) {
    if (k === field && c.kind === 'invalid' && c.broke.startsWith('type')) env[k] = 'not-a-number';
    else if (v !== null && v !== undefined) env[k] = String(v);
  }
  for (const [k, v] of Object.entries(realPlaces())) if (k !== field) env[k] = v;
  return { ...c, value: env };
}

const RAW_SECRETS = { ACME_BOT: 'acme-bot-token-0123456789', ACME_HOOK: 'acme-hook-secret-0123456789' };

/** What consumes a parsed environment, built offline; throws when a value is unusable. */
async function useEnv(env: AppEnv, raw: Record<string, string>): Promise<string[]> {
  const tags: string[] = [];
  for (const [name, value] of Object.entries(env))
    if (name.endsWith('_MS') && typeof value === 'number' && (value < 0 || value > TIMER_MAX_MS))
      throw new Error(`${name}=${value} does not fit a timer`);
  const stores = await buildStores(env, silent);
  try {
    const tenant = parseTenantId('acme');
    const key = conversationKey({ tenant: 'acme', chat: 'bounds', thread: 'main' });
    await stores.usage.record({
      tenant,
      chat: key.chat,
      thread: key.thread,
      userId: ++userNo,
      sessionId: 's',
      model: 'sonnet',
      tokens: { input: 10, output: 5, cacheCreation: 0, cacheRead: 0 },
      costUsd: 0.01,
      durationMs: 5,
      at: Date.now(),
    });
    const decision = await stores.usage.checkBudget({ tenant, userId: userNo }, { user: { dayUsd: 1 } });
    if (!decision.allowed) throw new Error('a one-cent turn used up a dollar');
  } finally {
    await stores.close();
  }
  const tenants = loadTenants({ file: env.OMNICLOUD_TENANTS_FILE, env });
  if (tenants.tenants.size !== 1) throw new Error('expected one tenant');
  const routes = await loadTelegramRoutes(env, createEnvSecretResolver({ ...raw, ...RAW_SECRETS }));
  if (routes.routes.length !== 1) throw new Error('expected one webhook route');
  liveOptionsOf(env);
  const warm = createWarmPool({
    max: env.OMNICLOUD_WARM_MAX ?? 1,
    idleMs: env.OMNICLOUD_WARM_IDLE_MS,
    logger: silent,
  });
  warm.close();
  if (env.OMNICLOUD_USAGE_RETENTION_DAYS !== undefined) tags.push('retention');
  return tags;
}

describe('bounds: environment', () => {
  it('audit: every variable of ENV_SCHEMA is bounded', () => {
    expect(boundIssues(ENV_SCHEMA)).toEqual([]);
  });

  it('schema cases through parseEnv into storage, usage, tenants, webhook routes, live options and the warm pool', async () => {
    const figures = await checkConfigBoundary({
      suite: 'bounds: environment (parseEnv → stores, usage, tenants, routes, live options, warm pool)',
      schema: ENV_SCHEMA,
      seed: SEED + 30,
      prepare: asEnvironment,
      load: (value) => parseEnv(value as Record<string, string>),
      use: (env, value) => useEnv(env, value as Record<string, string>),
      // `OMNICLOUD_DEMO_TOKEN_MS`: five digits pass its pattern, its maximum is 60000.
      refinements: /must be at most 60000 ms|must be comma-separated Telegram user ids/,
      options: { typicalLength: 20 },
    });
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['valid → accepted and used']).toBeGreaterThan(200);
    expect(crashWatch.crashes).toEqual([]);
  });

  it('every limit at its maximum: the environment builds the app, and a turn through the offline model finishes', async () => {
    const places = realPlaces();
    const raw: Record<string, string> = {
      ...places,
      ...RAW_SECRETS,
      TELEGRAM_BOT_TOKEN: 'bounds-bot-token-0123456789',
      TELEGRAM_WEBHOOK_SECRET: 'bounds-hook-secret-0123456789',
      TELEGRAM_ALLOWED_USERS: Array.from({ length: 1000 }, (_, i) => 999_999_999_999_999 - i).join(','),
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      OMNICLOUD_TENANTS_FILE: '',
      OMNICLOUD_TELEGRAM_TENANTS: '',
      OMNICLOUD_OFFLINE_MODEL: '1',
      OMNICLOUD_DEMO_TOKEN_MS: '0',
      OMNICLOUD_TURN_TIMEOUT_MS: '86400000',
      OMNICLOUD_MODEL_TIMEOUT_MS: '86400000',
      OMNICLOUD_MCP_TIMEOUT_MS: '600000',
      OMNICLOUD_MAX_AGENT_TURNS: '1000',
      OMNICLOUD_MODEL_MAX_RETRIES: '10',
      OMNICLOUD_WARM_IDLE_MS: '21600000',
      OMNICLOUD_STOP_POLL_MS: '10000',
      OMNICLOUD_USAGE_RETENTION_DAYS: '3650',
      OMNICLOUD_WARM_MAX: '256',
      OMNICLOUD_WARM_SPARES: '0',
      API_SSE_HEARTBEAT_MS: '300000',
      OMNICLOUD_PORT: '65535',
    };
    delete raw['OMNICLOUD_TENANTS_FILE'];
    delete raw['OMNICLOUD_TELEGRAM_TENANTS'];
    const env = parseEnv(raw);
    await useEnv(env, raw);
    const deps = await buildDeps(env, { rawEnv: raw, quiet: true, logger: silent });
    try {
      const result = await deps.runner.runTurn({
        key: conversationKey({ tenant: 'default', chat: 'bounds', thread: 'main' }),
        text: 'hello',
      });
      expect(result.is_error, JSON.stringify(result).slice(0, 300)).toBe(false);
    } finally {
      await deps.close();
    }
  }, 120_000);

  it.each([
    ['OMNICLOUD_TURN_TIMEOUT_MS', '1000000000000000'],
    ['OMNICLOUD_TURN_TIMEOUT_MS', String(TIMER_MAX_MS + 1)],
    ['OMNICLOUD_MODEL_TIMEOUT_MS', '1e15'],
    ['OMNICLOUD_MCP_TIMEOUT_MS', '9007199254740991'],
    ['OMNICLOUD_MAX_AGENT_TURNS', '9007199254740991'],
    ['OMNICLOUD_USAGE_RETENTION_DAYS', '1000000000'],
    ['OMNICLOUD_TENANT', 'Not A Tenant'],
    ['TELEGRAM_ALLOWED_USERS', '12,abc'],
    ['OMNICLOUD_DEMO_TOKEN_MS', '1'.repeat(400)],
  ])('regression: %s=%s is refused naming the variable (it was accepted, then unusable)', (name, value) => {
    let error: unknown;
    try {
      parseEnv({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const fields = (error as ConfigError).issues.map((i) => i.field);
    expect(fields.length).toBeGreaterThan(0);
    for (const field of fields) expect(field.split('.')[0]).toBe(name);
  });
});
