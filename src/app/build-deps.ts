import { createModelRateLimiter } from '../agent/model-rate/index.js';
import { createAgentRunner } from '../agent/runner.js';
import { hostMemoryBudget, warmMaxFor } from '../agent/warm/limits.js';
import { createWarmPool } from '../agent/warm/pool.js';
import { envSecretValues } from '../config/env.js';
import type { Metrics } from '../core/metrics.js';
import { withTurnMetrics } from './metrics.js';
import { describeProvider, modelSelection, needsOfflineModel, resolveProvider } from '../agent/provider.js';
import type { AppEnv } from '../config/env.js';
import { createLogger, type Logger, type LogLevel } from '../core/logger.js';
import { modelAliases, type SecretResolver } from '../tenants/index.js';
import { buildStores } from './storage.js';
import { createTenantAgents } from './tenant-agents.js';
import { assertTenantProviders, configDirOf, loadResolvedTenants } from './tenants.js';
import type { AppDeps } from './types.js';

export interface BuildDepsOptions {
  /** The raw environment (for `${VAR}` in mcp.json and `{ env: … }` secret references); entry points pass `process.env`. */
  rawEnv?: Record<string, string | undefined>;
  /** A ready logger (tests). Otherwise one is built that masks every secret, the tenants' included. */
  logger?: Logger;
  /** Fields on every line of the built logger (e.g. `{ fn: 'worker' }` in Lambda). */
  logBase?: Record<string, unknown>;
  /** More secret values to mask (e.g. read from SSM at a Lambda cold start). */
  secrets?: readonly string[];
  /** Reads tenant secret references (default: environment + SSM). */
  secretResolver?: SecretResolver;
  /** Skip the offline-model banner (tests, JSON output). */
  quiet?: boolean;
  /** Log level when OMNICLOUD_LOG_LEVEL is not set (the terminal chat keeps its screen clean with `warn`). */
  defaultLogLevel?: LogLevel;
  /** Per-turn metrics (EMF in Lambda); none by default. */
  metrics?: Metrics;
}

/**
 * The one place where a process's components are built and wired: tenants (file or environment,
 * secrets read once), storage and usage, the model provider (starting the offline demo model when
 * no credentials are configured), each tenant's agent (its own config folder and workspace) and
 * the runner (budgets checked before, usage recorded after every turn).
 */
export async function buildDeps(env: AppEnv, options: BuildDepsOptions = {}): Promise<AppDeps> {
  const rawEnv = options.rawEnv ?? {};
  const tenants = await loadResolvedTenants(env, rawEnv, options.secretResolver);
  const logger =
    options.logger ??
    createLogger({
      level: env.OMNICLOUD_LOG_LEVEL ?? options.defaultLogLevel ?? 'info',
      secrets: [...envSecretValues(env), ...(options.secrets ?? []), ...tenants.secretValues],
      ...(options.logBase ? { base: options.logBase } : {}),
    });
  const closers: Array<() => Promise<void>> = [];
  try {
    let offlineUrl: string | undefined;
    if (needsOfflineModel(env) && env.OMNICLOUD_ENV !== 'production') {
      const { startModelServer } = await import('../model/index.js');
      const server = await startModelServer({
        logger: logger.child({ component: 'model:offline' }),
        record: false,
        tokenMs: env.OMNICLOUD_DEMO_TOKEN_MS,
      });
      closers.push(() => server.close());
      offlineUrl = server.url;
    }
    const provider = resolveProvider(env, offlineUrl);
    assertTenantProviders(tenants, provider);
    if (provider.kind === 'offline' && !options.quiet) {
      process.stderr.write(
        `\n  ⚠  ${describeProvider(provider)}\n     Set ANTHROPIC_API_KEY, or CLAUDE_CODE_USE_BEDROCK=1 with AWS credentials, to talk to Claude.\n\n`,
      );
    }
    const stores = await buildStores(env, logger);
    closers.push(() => stores.close());
    const agents = await createTenantAgents(env, logger, {
      rawEnv,
      configDirFor: (tenant) => configDirOf(tenants, tenant),
    });
    const warm = createWarmPool({
      max: env.OMNICLOUD_WARM_MAX ?? warmMaxFor(hostMemoryBudget(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE)),
      idleMs: env.OMNICLOUD_WARM_IDLE_MS,
      logger: logger.child({ component: 'agent:warm' }),
    });
    // Closed first (closers run in reverse): no live `claude` child outlives the process.
    closers.push(async () => warm.close());
    const runner = createAgentRunner({
      warm,
      // Spares start in the background after a turn; in Lambda that would run in the next
      // invocation's time (the sandbox is frozen in between), so only long-running hosts keep them.
      spares: env.OMNICLOUD_WARM_SPARES && env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE === undefined,
      stopPollMs: env.OMNICLOUD_STOP_POLL_MS,
      storage: stores.storage,
      usage: stores.usage,
      tenants: agents.resolve,
      tenantPolicy: (tenant) => {
        const t = tenants.tenants.get(tenant);
        if (!t) return undefined;
        const perMinute = t.budgets?.modelRequestsPerMinute;
        return {
          model: t.model,
          models: modelAliases(t),
          budgets: t.budgets,
          ...(perMinute !== undefined ? { modelRequestsPerMinute: perMinute } : {}),
        };
      },
      // One counter per tenant and minute in the claims store every container shares.
      modelRate: createModelRateLimiter({
        counter: stores.storage.claims,
        logger: logger.child({ component: 'agent:model-rate' }),
      }),
      provider,
      models: modelSelection(env),
      limits: {
        maxRetries: env.OMNICLOUD_MODEL_MAX_RETRIES,
        apiTimeoutMs: env.OMNICLOUD_MODEL_TIMEOUT_MS,
        turnTimeoutMs: env.OMNICLOUD_TURN_TIMEOUT_MS,
        maxTurns: env.OMNICLOUD_MAX_AGENT_TURNS,
        mcpTimeoutMs: env.OMNICLOUD_MCP_TIMEOUT_MS,
      },
      path: env.PATH,
      logger: logger.child({ component: 'agent' }),
    });
    return {
      env,
      rawEnv,
      logger,
      tenants,
      storage: stores.storage,
      usage: stores.usage,
      sendBudgets: stores.sendBudgets,
      runner: options.metrics ? withTurnMetrics(runner, options.metrics) : runner,
      provider,
      warm,
      async close() {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw err;
  }
}

/**
 * Long-running hosts (`npm start` bots, `omnicloud serve`): start a process ahead for each
 * tenant's first new conversation, in the background. A failure only means that conversation
 * starts cold; it is logged.
 */
export function prewarmTenants(app: AppDeps): void {
  for (const tenant of app.tenants.tenants.keys()) {
    app.runner.prewarm?.(tenant).catch((err: unknown) => {
      app.logger.warn('could not start a process ahead for the tenant', {
        tenant,
        error: err instanceof Error ? err.message : String(err),
      });
    });
  }
}
