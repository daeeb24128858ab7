import { describe, expect, it } from 'vitest';
import { OmniError, StorageError } from '../core/errors.js';
import {
  call,
  cancellationCodes,
  conditionFailedItem,
  isConditionalCheckFailed,
  isNotFound,
  translate,
} from './errors.js';

/** Shaped like the AWS SDK's service exceptions (name, message, `$metadata`). */
function awsError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} said no`), {
    name,
    $metadata: { httpStatusCode: status },
    ...extra,
  });
}

describe('AWS error translation', () => {
  it('names the source, operation, exception and HTTP status, with a storage code', () => {
    const err = translate('usage:dynamodb', 'record for acme', awsError('InternalServerError', 500));
    expect(err).toBeInstanceOf(StorageError);
    expect(err.message).toBe(
      '[usage:dynamodb] record for acme failed: InternalServerError (HTTP 500): InternalServerError said no',
    );
    expect((err as StorageError).code).toBe('storage_error');
    expect((err as StorageError).cause).toBeInstanceOf(Error);
  });

  it('marks throttling (after the client gave up retrying) as storage_throttled', () => {
    for (const name of [
      'ThrottlingException',
      'SlowDown_Throttled',
      'ProvisionedThroughputExceededException',
    ]) {
      expect((translate('sessions:s3', 'op', awsError(name, 400)) as StorageError).code).toBe(
        'storage_throttled',
      );
    }
  });

  it('lets our own errors through and reads anything else thrown', async () => {
    const ours = new StorageError('[x] already ours');
    expect(translate('s', 'op', ours)).toBe(ours);
    expect(translate('s', 'op', 'a string').message).toBe('[s] op failed: Error: a string');
    await expect(
      call('telegram:dedupe-dynamo', 'claim', () => Promise.reject(awsError('Boom'))),
    ).rejects.toThrow(/^\[telegram:dedupe-dynamo\] claim failed: Boom: Boom said no$/);
    expect(await call('s', 'op', async () => 7)).toBe(7);
    expect(translate('s', 'op', new Error('plain'))).toBeInstanceOf(OmniError);
  });

  it('recognises conditional failures, transaction cancellations and missing objects', () => {
    expect(isConditionalCheckFailed(awsError('ConditionalCheckFailedException', 400))).toBe(true);
    expect(isConditionalCheckFailed(awsError('ValidationException', 400))).toBe(false);
    const cancelled = awsError('TransactionCanceledException', 400, {
      CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }, {}],
    });
    expect(cancellationCodes(cancelled)).toEqual(['None', 'ConditionalCheckFailed', 'None']);
    expect(cancellationCodes(awsError('Other'))).toBeNull();
    expect(isNotFound(awsError('NoSuchKey', 404))).toBe(true);
    expect(isNotFound(awsError('NotFound'))).toBe(true);
    expect(isNotFound(awsError('Whatever', 404))).toBe(true);
    expect(isNotFound(awsError('AccessDenied', 403))).toBe(false);
  });

  it('reads the item a failed condition found (ReturnValuesOnConditionCheckFailure), raw', () => {
    const item = { owner: { S: 'w1/ab' }, token: { N: '7' } };
    expect(conditionFailedItem(awsError('ConditionalCheckFailedException', 400, { Item: item }))).toEqual(
      item,
    );
    expect(conditionFailedItem(awsError('ConditionalCheckFailedException', 400))).toBeUndefined();
    expect(conditionFailedItem(awsError('ValidationException', 400, { Item: item }))).toBeUndefined();
    expect(conditionFailedItem('not an error')).toBeUndefined();
  });
});
