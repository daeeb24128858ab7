/**
 * `aws/` — the one place for AWS plumbing. Everything else gets ready clients injected (built by
 * `app/build-deps.ts`, `app/storage.ts` and the Lambda entry files) and turns SDK exceptions into
 * our errors through `translate()` / `call()`.
 *
 * This barrel loads no AWS SDK code:
 * - `errors.ts`: `translate(source, operation, err)` → `StorageError` (`storage_throttled` /
 *   `storage_error`, message `[source] operation failed: Name (HTTP n): msg`), `call()`, and the
 *   predicates `isConditionalCheckFailed`, `cancellationCodes`, `isNotFound`, `isThrottled`, `httpStatus`;
 * - `own-write.ts`: `newWriteId`, `notOwnWrite`, `isOwnWrite` — a write recognising its own
 *   earlier attempt after a lost response;
 * - `capacity.ts`: DynamoDB consumed-capacity helpers;
 * - `retry.ts`: the one retry policy (`RETRY_POLICY`, `createRetryStrategy`);
 * - `config.ts`: client options, credentials and endpoints from the environment.
 *
 * The client builders, each by its subpath so a bundle pulls only the SDK clients it uses:
 * `aws/s3.js` (`createS3Client`), `aws/dynamodb.js` (`createDynamoClient`,
 * `createDynamoDocumentClient`, `toDocumentClient`), `aws/sqs.js` (`createSqsClient`), `aws/scheduler.js` (`createSchedulerClient`),
 * `aws/ssm.js` (`createSsmParameterClient`, SDK imported lazily), `aws/storage-clients.js`
 * (`createCloudClients`: the S3 + DynamoDB pair of the cloud storage).
 */
export {
  awsErrorName,
  call,
  cancellationCodes,
  describeAwsError,
  conditionFailedItem,
  httpStatus,
  isConditionalCheckFailed,
  isNotFound,
  isThrottled,
  translate,
  type RawAttribute,
} from './errors.js';
export { isOwnWrite, newWriteId, notOwnWrite } from './own-write.js';
export { CONSUMED_TOTAL, consumedUnits } from './capacity.js';
export {
  createRetryStrategy,
  RETRY_POLICY,
  type PolicyRetryStrategy,
  type RetryPolicy,
  type RetryStats,
  type RetryStrategyDeps,
} from './retry.js';
export {
  awsClientOptions,
  awsCredentials,
  type AwsClientOptions,
  type AwsCredentials,
  type AwsEnv,
} from './config.js';
