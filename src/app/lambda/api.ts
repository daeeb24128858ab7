import type { Hono } from 'hono';
import { createLogger } from '../../core/logger.js';
import { createApiApp, createApiAuth } from '../../server/index.js';
import type { ApiEnv } from '../../server/context.js';
import { buildDeps } from '../build-deps.js';
import type { AppDeps } from '../types.js';
import type { LambdaEnv } from './env.js';

/**
 * The agent HTTP API (same Hono app as on Node) with cloud storage. Auth: bearer token or IAM
 * (Function URL `AuthType: AWS_IAM`); production refuses an empty or well-known token.
 */
export async function buildApiApp(lambda: LambdaEnv): Promise<{ app: Hono<ApiEnv>; deps: AppDeps }> {
  const { env } = lambda;
  const logger = createLogger({
    level: env.OMNICLOUD_LOG_LEVEL ?? 'info',
    secrets: lambda.secrets,
    base: { fn: 'api' },
  });
  const auth = createApiAuth(env);
  const deps = await buildDeps(env, { rawEnv: lambda.raw, logger, quiet: true });
  const app = createApiApp({
    runner: deps.runner,
    storage: deps.storage,
    auth,
    logger,
    defaultTenant: env.OMNICLOUD_TENANT,
  });
  return { app, deps };
}
