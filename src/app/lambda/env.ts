import { envSecretValues, parseEnv, type AppEnv } from '../../config/env.js';
import { createSsmParameterClient } from '../../aws/ssm.js';
import { resolveSecrets } from '../../config/secrets.js';

export interface LambdaEnv {
  env: AppEnv;
  /** The environment with secrets resolved (for `${VAR}` in mcp.json). */
  raw: Record<string, string | undefined>;
  /** Secret values read at cold start or set directly in the environment (masked in every log line). */
  secrets: string[];
}

/**
 * Cold start: resolve `*_PARAM` secrets from SSM (one GetParameters call), then parse the
 * environment. Lambda functions always run with OMNICLOUD_ENV=production semantics unless told
 * otherwise, so weak tokens and the offline model are refused.
 */
export async function loadLambdaEnv(source: Record<string, string | undefined>): Promise<LambdaEnv> {
  const resolved = await resolveSecrets(
    { OMNICLOUD_ENV: 'production', ...source },
    { client: () => createSsmParameterClient(source.AWS_REGION ? { region: source.AWS_REGION } : {}) },
  );
  const env = parseEnv(resolved.env);
  return { env, raw: resolved.env, secrets: [...resolved.secrets, ...envSecretValues(env)] };
}
