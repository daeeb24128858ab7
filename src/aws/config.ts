import { createRetryStrategy, RETRY_POLICY, type RetryPolicy } from './retry.js';
import type { RetryStrategyV2 } from '@smithy/types';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What every client builder takes. */
export interface AwsClientOptions {
  /** Default: the SDK's own resolution (`AWS_REGION`, profile). */
  region?: string;
  /** Endpoint override (tests: fauxqs / DynamoDB Local / a fault proxy; MinIO, R2). S3 then uses path-style URLs. */
  endpoint?: string;
  /** Static keys; default: the SDK's default chain (Lambda role, profiles, SSO, IMDS). */
  credentials?: AwsCredentials;
  /** Changes to the shared policy (e.g. `{ maxAttempts: 1 }` in a test). */
  retry?: Partial<RetryPolicy>;
  /** A ready strategy instead (a test that reads its counters, or the SDK's own to compare). */
  retryStrategy?: RetryStrategyV2;
}

/** The environment variables the builders read, as parsed by `config/env.ts`. */
export interface AwsEnv {
  AWS_REGION?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_SESSION_TOKEN?: string;
  AWS_ENDPOINT_URL_S3?: string;
  AWS_ENDPOINT_URL_DYNAMODB?: string;
  AWS_ENDPOINT_URL_SQS?: string;
  AWS_ENDPOINT_URL_SCHEDULER?: string;
}

/**
 * Credentials for our own clients: the keys in the environment (in Lambda, the role's — the
 * runtime sets them), else `undefined` and the SDK's default chain decides (profiles, SSO, IMDS).
 */
export function awsCredentials(env: AwsEnv): AwsCredentials | undefined {
  return env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      }
    : undefined;
}

/** Options for one service's client from the environment: region (default us-east-1), keys, endpoint. */
export function awsClientOptions(
  env: AwsEnv,
  service?: 'S3' | 'DYNAMODB' | 'SQS' | 'SCHEDULER',
): AwsClientOptions {
  const credentials = awsCredentials(env);
  const endpoint = service ? env[`AWS_ENDPOINT_URL_${service}`] : undefined;
  return {
    region: env.AWS_REGION ?? 'us-east-1',
    ...(credentials ? { credentials } : {}),
    ...(endpoint ? { endpoint } : {}),
  };
}

/** The configuration fields every client shares: region, credentials, endpoint, the retry policy. */
export function baseClientConfig(options: AwsClientOptions) {
  const policy = { ...RETRY_POLICY, ...options.retry };
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    // A copy: the SDK annotates the credentials object it is given.
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    // `maxAttempts` only feeds the `amz-sdk-request: attempt=n; max=m` header; the strategy decides.
    maxAttempts: policy.maxAttempts,
    retryStrategy: options.retryStrategy ?? createRetryStrategy(policy),
  };
}
