import type { AppEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';

/**
 * Which model backend a turn talks to. Resolved once from the environment; the child process
 * gets exactly the variables its provider needs (Options.env replaces the whole environment).
 */
export type ModelProvider =
  | { kind: 'offline'; baseUrl: string }
  | { kind: 'anthropic'; apiKey?: string; authToken?: string; baseUrl?: string }
  | {
      kind: 'bedrock';
      region: string;
      /** Explicit credentials (the role's in Lambda, or the original's BEDROCK_* keys). */
      credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
      profile?: { name: string; sharedCredentialsFile?: string };
      bearerToken?: string;
      baseUrl?: string;
    };

/** Model ids/aliases passed through to the binary (ids or Bedrock inference-profile ARNs). */
export interface ModelSelection {
  model?: string;
  haiku?: string;
  sonnet?: string;
  opus?: string;
}

export function modelSelection(env: AppEnv): ModelSelection {
  return {
    model: env.ANTHROPIC_MODEL,
    haiku: env.ANTHROPIC_DEFAULT_HAIKU_MODEL,
    sonnet: env.ANTHROPIC_DEFAULT_SONNET_MODEL,
    opus: env.ANTHROPIC_DEFAULT_OPUS_MODEL,
  };
}

/** True when no real model credentials are configured (the offline demo model is used). */
export function needsOfflineModel(env: AppEnv): boolean {
  if (env.OMNICLOUD_OFFLINE_MODEL) return true;
  if (env.CLAUDE_CODE_USE_BEDROCK) return false;
  return !env.ANTHROPIC_API_KEY && !env.ANTHROPIC_AUTH_TOKEN;
}

/**
 * Resolve the provider. `offlineBaseUrl` is the URL of the local demo model server, started by the
 * caller only when `needsOfflineModel(env)`.
 */
export function resolveProvider(env: AppEnv, offlineBaseUrl?: string): ModelProvider {
  if (needsOfflineModel(env)) {
    if (env.OMNICLOUD_ENV === 'production') {
      throw new ConfigError([
        {
          file: 'environment',
          field: 'ANTHROPIC_API_KEY',
          message: 'production needs a real model provider (Anthropic API key or CLAUDE_CODE_USE_BEDROCK=1)',
        },
      ]);
    }
    if (!offlineBaseUrl) throw new Error('[agent:provider] the offline model server is not running');
    return { kind: 'offline', baseUrl: offlineBaseUrl };
  }
  if (env.CLAUDE_CODE_USE_BEDROCK) {
    const region = env.AWS_REGION;
    if (!region) {
      throw new ConfigError([
        { file: 'environment', field: 'AWS_REGION', message: 'Bedrock mode needs AWS_REGION' },
      ]);
    }
    const accessKeyId = env.BEDROCK_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.BEDROCK_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY;
    const dedicated = env.BEDROCK_ACCESS_KEY_ID !== undefined;
    return {
      kind: 'bedrock',
      region,
      credentials:
        accessKeyId && secretAccessKey
          ? {
              accessKeyId,
              secretAccessKey,
              // The role's session token belongs to the role's keys, never to dedicated keys.
              sessionToken: dedicated ? undefined : env.AWS_SESSION_TOKEN,
            }
          : undefined,
      profile: env.AWS_PROFILE
        ? { name: env.AWS_PROFILE, sharedCredentialsFile: env.AWS_SHARED_CREDENTIALS_FILE }
        : undefined,
      bearerToken: env.AWS_BEARER_TOKEN_BEDROCK,
      baseUrl: env.ANTHROPIC_BEDROCK_BASE_URL,
    };
  }
  return {
    kind: 'anthropic',
    apiKey: env.ANTHROPIC_API_KEY,
    authToken: env.ANTHROPIC_AUTH_TOKEN,
    baseUrl: env.ANTHROPIC_BASE_URL,
  };
}

/** A one-line description for start-up banners and `/debug` (never includes secrets). */
export function describeProvider(provider: ModelProvider): string {
  switch (provider.kind) {
    case 'offline':
      return `OFFLINE DEMO MODEL at ${provider.baseUrl} (no credentials configured — replies are canned, not Claude)`;
    case 'anthropic':
      return `Anthropic API${provider.baseUrl ? ` at ${provider.baseUrl}` : ''}`;
    case 'bedrock':
      return `Amazon Bedrock in ${provider.region}${provider.baseUrl ? ` at ${provider.baseUrl}` : ''}`;
  }
}
