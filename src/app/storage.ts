import { awsClientOptions } from '../aws/index.js';
import type { AppEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Storage } from '../sessions/types.js';
import type { UsageStore } from '../usage/index.js';

/** Sessions and usage, on the same backend: one SQLite file, or one S3 bucket + DynamoDB table. */
export interface Stores {
  storage: Storage;
  usage: UsageStore;
  close(): Promise<void>;
}

/**
 * Build the storage and usage backends named by the environment. The cloud adapters and the AWS
 * SDK are imported lazily, so local use never loads them; both share one set of clients.
 */
export async function buildStores(env: AppEnv, logger: Logger): Promise<Stores> {
  const retention = env.OMNICLOUD_USAGE_RETENTION_DAYS
    ? { retentionDays: env.OMNICLOUD_USAGE_RETENTION_DAYS }
    : {};
  if (env.OMNICLOUD_STORAGE === 'sqlite') {
    const { createSqliteStorage } = await import('../sessions/adapters/sqlite/index.js');
    const { openSqliteUsageStore } = await import('../usage/index.js');
    const storage = createSqliteStorage({
      dataDir: env.OMNICLOUD_DATA_DIR,
      logger,
      // Approval records are audit records: kept as long as usage (`expiresAt` + the retention).
      approvalRetentionDays: env.OMNICLOUD_USAGE_RETENTION_DAYS,
    });
    // The sessions' file: usage owns its own tables in it (one file to back up or move).
    const usage = await openSqliteUsageStore({ file: storage.file, ...retention }).catch(
      async (err: unknown) => {
        await storage.close();
        throw err;
      },
    );
    return stores(storage, usage);
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
  const { createCloudStorage } = await import('../sessions/adapters/cloud/index.js');
  const { createCloudClients } = await import('../aws/storage-clients.js');
  const { openDynamoUsageStore } = await import('../usage/index.js');
  const { region, credentials } = awsClientOptions(env);
  const clients = createCloudClients({
    region: region ?? 'us-east-1',
    s3Endpoint: env.AWS_ENDPOINT_URL_S3,
    dynamoEndpoint: env.AWS_ENDPOINT_URL_DYNAMODB,
    ...(credentials ? { credentials } : {}),
  });
  const table = env.SESSION_TABLE as string;
  const storage = createCloudStorage({
    s3: clients.s3,
    dynamo: clients.dynamo,
    bucket: env.SESSION_BUCKET as string,
    table,
    logger: logger.child({ component: 'sessions:cloud' }),
    approvalRetentionDays: env.OMNICLOUD_USAGE_RETENTION_DAYS,
  });
  const usage = await openDynamoUsageStore({
    dynamo: clients.dynamo,
    table,
    shards: env.OMNICLOUD_USAGE_SHARDS,
    ...retention,
  });
  return stores(storage, usage, () => clients.destroy());
}

function stores(storage: Storage, usage: UsageStore, afterClose?: () => void): Stores {
  return {
    storage,
    usage,
    async close() {
      await usage.close();
      await storage.close();
      afterClose?.();
    },
  };
}
