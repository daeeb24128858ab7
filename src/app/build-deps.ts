import { createAgentRunner } from '../agent/runner.js';
import { describeProvider, modelSelection, needsOfflineModel, resolveProvider } from '../agent/provider.js';
import type { AppEnv } from '../config/env.js';
import { createLogger, type Logger, type LogLevel } from '../core/logger.js';
import { buildStorage } from './storage.js';
import { createTenantAgents } from './tenant-agents.js';
import type { AppDeps } from './types.js';

export interface BuildDepsOptions {
  /** The raw environment (for `${VAR}` in mcp.json); entry points pass `process.env`. */
  rawEnv?: Record<string, string | undefined>;
  logger?: Logger;
  /** Skip the offline-model banner (tests, JSON output). */
  quiet?: boolean;
  /** Log level when OMNICLOUD_LOG_LEVEL is not set (the terminal chat keeps its screen clean with `warn`). */
  defaultLogLevel?: LogLevel;
}

/** Secret values of the environment, masked in every log line. */
function secretValues(env: AppEnv): string[] {
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
  ].filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/**
 * The one place where a process's components are built and wired: storage, the model provider
 * (starting the offline demo model when no credentials are configured), tenant agents and the runner.
 */
export async function buildDeps(env: AppEnv, options: BuildDepsOptions = {}): Promise<AppDeps> {
  const logger =
    options.logger ??
    createLogger({
      level: env.OMNICLOUD_LOG_LEVEL ?? options.defaultLogLevel ?? 'info',
      secrets: secretValues(env),
    });
  const closers: Array<() => Promise<void>> = [];
  try {
    let offlineUrl: string | undefined;
    if (needsOfflineModel(env) && env.OMNICLOUD_ENV !== 'production') {
      const { startModelServer } = await import('../model/index.js');
      const server = await startModelServer({
        logger: logger.child({ component: 'model:offline' }),
        record: false,
      });
      closers.push(() => server.close());
      offlineUrl = server.url;
    }
    const provider = resolveProvider(env, offlineUrl);
    if (provider.kind === 'offline' && !options.quiet) {
      process.stderr.write(
        `\n  ⚠  ${describeProvider(provider)}\n     Set ANTHROPIC_API_KEY, or CLAUDE_CODE_USE_BEDROCK=1 with AWS credentials, to talk to Claude.\n\n`,
      );
    }
    const storage = await buildStorage(env, logger);
    closers.push(() => storage.close());
    const tenants = await createTenantAgents(env, logger, { rawEnv: options.rawEnv ?? {} });
    const runner = createAgentRunner({
      storage,
      tenants: tenants.resolve,
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
      logger,
      storage,
      runner,
      provider,
      async close() {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw err;
  }
}
