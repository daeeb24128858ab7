import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AppEnv } from '../../config/env.js';
import { toDocumentClient } from '../../sessions/adapters/cloud/document-client.js';
import { awsCredentials } from '../aws-credentials.js';

/**
 * The AWS clients of the Lambda functions, configured in one place: region, bounded standard
 * retries, endpoint overrides (tests, local peers). Credentials: the keys in the environment
 * (in Lambda, the role's — the runtime sets them), else the SDK's default chain (profiles, SSO).
 */
const common = (env: AppEnv) => {
  const credentials = awsCredentials(env);
  return {
    region: env.AWS_REGION ?? 'us-east-1',
    maxAttempts: 3,
    retryMode: 'standard',
    ...(credentials ? { credentials } : {}),
  };
};

export function createSqsClient(env: AppEnv): SQSClient {
  return new SQSClient({
    ...common(env),
    ...(env.AWS_ENDPOINT_URL_SQS ? { endpoint: env.AWS_ENDPOINT_URL_SQS } : {}),
  });
}

export function createDynamoDocumentClient(env: AppEnv): DynamoDBDocumentClient {
  return toDocumentClient(
    new DynamoDBClient({
      ...common(env),
      ...(env.AWS_ENDPOINT_URL_DYNAMODB ? { endpoint: env.AWS_ENDPOINT_URL_DYNAMODB } : {}),
    }),
  );
}
