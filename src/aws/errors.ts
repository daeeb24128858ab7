import { OmniError, StorageError } from '../core/errors.js';

/**
 * The boundary between AWS SDK exceptions and our errors. Throttling and transient faults are
 * retried by the clients themselves (the shared policy in `retry.ts`); whatever still fails
 * arrives here and becomes a `StorageError` naming its source and operation:
 * `[sessions:s3] PutObject k failed: SlowDown (HTTP 503): Please reduce your request rate`.
 */

/** The fields of an AWS SDK exception we read (anything else reads as empty). */
interface AwsErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  CancellationReasons?: Array<{ Code?: unknown } | undefined>;
}

function shape(err: unknown): AwsErrorShape {
  return typeof err === 'object' && err !== null ? (err as AwsErrorShape) : {};
}

/** The exception's name (`ConditionalCheckFailedException`, `NoSuchKey`, …), `''` when it has none. */
export function awsErrorName(err: unknown): string {
  const name = shape(err).name;
  return typeof name === 'string' ? name : '';
}

export function httpStatus(err: unknown): number | undefined {
  const status = shape(err).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isConditionalCheckFailed(err: unknown): boolean {
  return awsErrorName(err) === 'ConditionalCheckFailedException';
}

/** A DynamoDB attribute in the low-level format (the scalar kinds we read back). */
export interface RawAttribute {
  S?: string;
  N?: string;
  BOOL?: boolean;
  /** A string set (e.g. the usage day counters' `models`). */
  SS?: string[];
}

/**
 * The item a failed condition found (asked for with `ReturnValuesOnConditionCheckFailure:
 * 'ALL_OLD'`), in the low-level attribute format: the document client does not convert
 * exceptions. `undefined` for any other error, or when the item did not exist.
 */
export function conditionFailedItem(err: unknown): Record<string, RawAttribute | undefined> | undefined {
  if (!isConditionalCheckFailed(err)) return undefined;
  const item = (err as { Item?: unknown }).Item;
  return typeof item === 'object' && item !== null ? (item as Record<string, RawAttribute>) : undefined;
}

/** Per-item cancellation codes of a failed TransactWriteItems (`'None'`, `'ConditionalCheckFailed'`, …). */
export function cancellationCodes(err: unknown): string[] | null {
  if (awsErrorName(err) !== 'TransactionCanceledException') return null;
  const reasons = shape(err).CancellationReasons ?? [];
  return reasons.map((r) => (typeof r?.Code === 'string' ? r.Code : 'None'));
}

export function isNotFound(err: unknown): boolean {
  const name = awsErrorName(err);
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(err) === 404;
}

/** The service refused for load (throttling, DynamoDB's provisioned throughput), after the retries. */
export function isThrottled(err: unknown): boolean {
  const name = awsErrorName(err);
  return name.includes('Throttl') || name === 'ProvisionedThroughputExceededException';
}

/**
 * Translate anything an AWS call threw into a `StorageError` (`storage_throttled` or
 * `storage_error`); our own errors pass through unchanged. `source` names the caller
 * (`sessions:s3`, `usage:dynamodb`, `telegram:dedupe-dynamo`).
 */
export function translate(source: string, operation: string, err: unknown): Error {
  if (err instanceof OmniError) return err;
  return new StorageError(`[${source}] ${operation} failed: ${describeAwsError(err)}`, {
    cause: err,
    code: isThrottled(err) ? 'storage_throttled' : 'storage_error',
  });
}

/** `Name (HTTP n): message` of anything an AWS call threw (the tail of every translated message). */
export function describeAwsError(err: unknown): string {
  const name = awsErrorName(err) || 'Error';
  const status = httpStatus(err);
  const message = typeof shape(err).message === 'string' ? String(shape(err).message) : String(err);
  return `${name}${status ? ` (HTTP ${status})` : ''}: ${message}`;
}

/** Run one AWS call, translating its failure. */
export async function call<T>(source: string, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw translate(source, operation, err);
  }
}
