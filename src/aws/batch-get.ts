import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { StorageError } from '../core/errors.js';
import { call } from './errors.js';

/** BatchGetItem takes at most 100 keys per request. */
const GET_BATCH = 100;
/** Rounds of retrying what DynamoDB left unprocessed (throttling) before giving up. */
const MAX_ROUNDS = 8;

/** Backoff before retrying unprocessed keys: 20, 40, 80 … ms, at most 500. */
export const pauseBeforeRound = (round: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.min(500, 10 * 2 ** round)));

export interface BatchGetInput {
  doc: DynamoDBDocumentClient;
  table: string;
  keys: ReadonlyArray<Record<string, unknown>>;
  /** The store, for errors (`[source] …`). */
  source: string;
  /** What is read, for errors and logs (`parts`, `approvals`). */
  what: string;
  /** Per-table request fields besides the keys (a projection, `ConsistentRead` is always on). */
  request?: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> };
  /** Whole-request fields (e.g. `ReturnConsumedCapacity`). */
  extra?: { ReturnConsumedCapacity?: 'TOTAL' };
  /** Each response as it arrives (metrics). */
  onResponse?: (res: BatchGetCommandOutput) => void;
}

/**
 * Every item of `keys` that exists, by strongly consistent BatchGetItem requests of ≤ 100 keys,
 * retrying the keys DynamoDB leaves unprocessed with a backoff; after 8 rounds a `StorageError`
 * (`storage_throttled`).
 */
export async function batchGetAll(input: BatchGetInput): Promise<Array<Record<string, unknown>>> {
  const { doc, table } = input;
  const found: Array<Record<string, unknown>> = [];
  for (let i = 0; i < input.keys.length; i += GET_BATCH) {
    let keys = input.keys.slice(i, i + GET_BATCH);
    for (let round = 0; keys.length > 0; round++) {
      if (round === MAX_ROUNDS) {
        throw new StorageError(
          `[${input.source}] BatchGetItem left ${keys.length} ${input.what} unprocessed`,
          {
            code: 'storage_throttled',
          },
        );
      }
      if (round > 0) await pauseBeforeRound(round);
      const res = await call(input.source, `BatchGetItem (${keys.length} ${input.what})`, () =>
        doc.send(
          new BatchGetCommand({
            RequestItems: { [table]: { Keys: [...keys], ConsistentRead: true, ...input.request } },
            ...input.extra,
          }),
        ),
      );
      input.onResponse?.(res);
      found.push(...(res.Responses?.[table] ?? []));
      keys = res.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return found;
}
