import { awsClientOptions } from '../aws/index.js';
import type { AppEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Storage } from '../sessions/types.js';
import type { SendBudgets } from '../telegram/send-budget/types.js';
import type { UsageStore } from '../usage/index.js';

/** Sessions and usage, on the same backend: one SQLite file, or one S3 bucket + DynamoDB table. */
export interface Stores {
  storage: Storage;
  usage: UsageStore;
  /**
   * Each Telegram bot's send budget (`TELEGRAM_SEND_PER_SECOND`): in-process with SQLite, shared
   * between workers through the table with cloud storage; undefined when set to 0.
   */
  sendBudgets: SendBudgets | undefined;
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
    return stores(storage, usage, await localSendBudgets(env));
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
    legacyKeys: env.OMNICLOUD_SESSION_LEGACY_KEYS,
  });
  const usage = await openDynamoUsageStore({
    dynamo: clients.dynamo,
    table,
    shards: env.OMNICLOUD_USAGE_SHARDS,
    ...retention,
  });
  const perSecond = env.TELEGRAM_SEND_PER_SECOND;
  const sendBudgets =
    perSecond > 0
      ? (await import('../telegram/send-budget/dynamodb.js')).createDynamoSendBudgets({
          dynamo: clients.dynamo,
          table,
          perSecond,
          logger,
        })
      : undefined;
  return stores(storage, usage, sendBudgets, () => clients.destroy());
}

/** In-process send budgets (one process sends for its bots), or none. */
async function localSendBudgets(env: AppEnv): Promise<SendBudgets | undefined> {
  if (env.TELEGRAM_SEND_PER_SECOND === 0) return undefined;
  const { createMemorySendBudgets } = await import('../telegram/send-budget/memory.js');
  return createMemorySendBudgets(env.TELEGRAM_SEND_PER_SECOND);
}

function stores(
  storage: Storage,
  usage: UsageStore,
  sendBudgets: SendBudgets | undefined,
  afterClose?: () => void,
): Stores {
  return {
    storage,
    usage,
    sendBudgets,
    async close() {
      await usage.close();
      await storage.close();
      afterClose?.();
    },
  };
}
