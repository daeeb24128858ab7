import type { AppEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Storage } from '../sessions/types.js';
import { awsCredentials } from './aws-credentials.js';

/**
 * Build the storage backend named by the environment. The cloud adapter and the AWS SDK are
 * imported lazily, so local use never loads them.
 */
export async function buildStorage(env: AppEnv, logger: Logger): Promise<Storage> {
  if (env.OMNICLOUD_STORAGE === 'sqlite') {
    const { createSqliteStorage } = await import('../sessions/adapters/sqlite/index.js');
    return createSqliteStorage({ dataDir: env.OMNICLOUD_DATA_DIR, logger });
  }
  const missing = (['SESSION_BUCKET', 'SESSION_TABLE'] as const).filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((name) => ({
        file: 'environment',
        field: name,
        message: 'required when OMNICLOUD_STORAGE=cloud',
      })),
    );
  }
  const { createCloudClients, createCloudStorage } = await import('../sessions/adapters/cloud/index.js');
  const credentials = awsCredentials(env);
  const clients = createCloudClients({
    region: env.AWS_REGION ?? 'us-east-1',
    s3Endpoint: env.AWS_ENDPOINT_URL_S3,
    dynamoEndpoint: env.AWS_ENDPOINT_URL_DYNAMODB,
    ...(credentials ? { credentials } : {}),
  });
  const storage = createCloudStorage({
    s3: clients.s3,
    dynamo: clients.dynamo,
    bucket: env.SESSION_BUCKET as string,
    table: env.SESSION_TABLE as string,
    logger: logger.child({ component: 'sessions:cloud' }),
  });
  return {
    ...storage,
    async close() {
      await storage.close();
      clients.destroy();
    },
  };
}
