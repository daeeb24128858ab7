import type { AppEnv } from '../config/env.js';

/**
 * AWS credentials for our own clients: the keys in the environment (in Lambda, the role's — the
 * runtime sets them), else `undefined` and the SDK's default chain decides (profiles, SSO, IMDS).
 * No AWS SDK import here, so local runs never load it.
 */
export function awsCredentials(env: AppEnv) {
  return env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      }
    : undefined;
}
