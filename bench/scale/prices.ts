/**
 * List prices used by the cost model: us-east-1, on-demand, USD, as published on the services'
 * pricing pages (read for this model on 1 Dec 2026; docs/scale.md §3 lists the pages). Free tiers
 * are ignored. Model prices are kept apart from AWS prices.
 */
export const AWS_PRICES = {
  /** DynamoDB on-demand, per million write / read request units. */
  dynamoWritePerM: 0.625,
  dynamoReadPerM: 0.125,
  /** DynamoDB storage per GB-month. */
  dynamoStorageGbMonth: 0.25,
  /** SQS FIFO, per million requests (64 KB chunks). */
  sqsFifoPerM: 0.5,
  /** Lambda arm64, per GB-second and per million requests. */
  lambdaArmGbS: 0.0000133334,
  lambdaPerM: 0.2,
  /** S3 Standard, per 1,000 PUT and per 1,000 GET requests; storage per GB-month. */
  s3PutPerK: 0.005,
  s3GetPerK: 0.0004,
  s3StorageGbMonth: 0.023,
  /** API Gateway HTTP API, per million requests (the Telegram webhook). */
  httpApiPerM: 1.0,
  /** CloudWatch Logs ingestion per GB. */
  logsIngestGb: 0.5,
} as const;

/** Claude Sonnet-class prices per million tokens (5-minute cache writes), and Haiku-class. */
export const MODEL_PRICES = {
  sonnet: { input: 3, cacheWrite: 3.75, cacheRead: 0.3, output: 15 },
  haiku: { input: 1, cacheWrite: 1.25, cacheRead: 0.1, output: 5 },
} as const;

export type ModelClass = keyof typeof MODEL_PRICES;
