import { createEmfMetrics } from '../../core/metrics.js';
import type { Hono } from 'hono';
import type { ApiEnv } from '../../server/context.js';
import { apiAppFor } from '../api-app.js';
import { buildApiProactive } from '../api-proactive.js';
import { buildDeps } from '../build-deps.js';
import type { AppDeps } from '../types.js';
import type { LambdaEnv } from './env.js';

/**
 * The agent HTTP API (same Hono app as on Node) with cloud storage. Auth: bearer tokens (per
 * tenant from the tenants file, or API_AUTH_TOKEN) or IAM (Function URL `AuthType: AWS_IAM`);
 * production refuses an empty or well-known token.
 */
export async function buildApiApp(lambda: LambdaEnv): Promise<{ app: Hono<ApiEnv>; deps: AppDeps }> {
  const { env } = lambda;
  const deps = await buildDeps(env, {
    rawEnv: lambda.raw,
    secrets: lambda.secrets,
    logBase: { fn: 'api' },
    metrics: createEmfMetrics({ namespace: env.OMNICLOUD_METRICS_NAMESPACE }),
    quiet: true,
  });
  try {
    const proactive = await buildApiProactive(deps);
    return { app: apiAppFor(deps, proactive), deps };
  } catch (err) {
    await deps.close();
    throw err;
  }
}
