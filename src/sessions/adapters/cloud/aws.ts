import { OmniError, StorageError } from '../../../core/errors.js';

/**
 * The boundary between AWS SDK exceptions and our errors. Throttling and 5xx are retried by the
 * SDK clients themselves (standard retry strategy, `maxAttempts` — see `clients.ts`); whatever
 * still fails arrives here and becomes a `StorageError` naming the operation.
 */

interface AwsErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  CancellationReasons?: Array<{ Code?: unknown } | undefined>;
}

function shape(err: unknown): AwsErrorShape {
  return typeof err === 'object' && err !== null ? (err as AwsErrorShape) : {};
}

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

/** Translate anything the AWS SDK threw into a `StorageError` (our errors pass through unchanged). */
export function translate(source: string, operation: string, err: unknown): Error {
  if (err instanceof OmniError) return err;
  const name = awsErrorName(err) || 'Error';
  const status = httpStatus(err);
  const message = typeof shape(err).message === 'string' ? String(shape(err).message) : String(err);
  const code =
    name.includes('Throttl') || name === 'ProvisionedThroughputExceededException'
      ? 'storage_throttled'
      : 'storage_error';
  return new StorageError(
    `[sessions:${source}] ${operation} failed: ${name}${status ? ` (HTTP ${status})` : ''}: ${message}`,
    { cause: err, code },
  );
}

/** Run one AWS call, translating its failure. */
export async function call<T>(source: string, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw translate(source, operation, err);
  }
}

/** Ask DynamoDB to report the capacity a request consumed (the transfer metrics record it). */
export const CONSUMED_TOTAL = { ReturnConsumedCapacity: 'TOTAL' } as const;

/** Capacity units a response reports (`ReturnConsumedCapacity: 'TOTAL'`): one entry or one per table. */
export function consumedUnits(consumed: unknown): number {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((sum: number, c: { CapacityUnits?: unknown }) => {
    return sum + (typeof c?.CapacityUnits === 'number' ? c.CapacityUnits : 0);
  }, 0);
}
