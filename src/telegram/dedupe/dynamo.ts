import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { conditionFailedItem, isConditionalCheckFailed, translate } from '../../aws/index.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { TenantId } from '../../core/ids.js';
import { DEFAULT_DEDUPE_TTL_MS, type UpdateDeduper } from './types.js';

export interface DynamoDeduperOptions {
  /** Document client built by the caller (e.g. `createCloudClients`). */
  dynamo: DynamoDBDocumentClient;
  /** The dedupe table: hash key `pk` (string), TTL attribute `ttl` (template.yaml `DedupeTable`). */
  table: string;
  ttlMs?: number;
  clock?: Clock;
}

/** `<tenant>#update#<update_id>`: one item per (tenant, update), tenants never collide. */
export function dedupeKey(tenant: TenantId, updateId: number): string {
  return `${tenant}#update#${updateId}`;
}

/**
 * `UpdateDeduper` on DynamoDB (the webhook Lambda): a claim is one conditional Put that succeeds if
 * the item is absent or its `ttl` has passed (DynamoDB deletes expired items lazily, so an expired
 * one may still be there); release is a Delete. `ttl` is epoch seconds, rounded up so a claim never
 * expires early. Each claim stores a random `claim` id, so the client's retry of a Put whose
 * response was lost recognises its own claim (the item a failed condition found) and answers
 * "claimed" rather than "duplicate". Only PutItem and DeleteItem are used (the ingress role allows
 * nothing else).
 */
export function createDynamoDeduper(options: DynamoDeduperOptions): UpdateDeduper {
  const { dynamo, table } = options;
  const ttlMs = options.ttlMs ?? DEFAULT_DEDUPE_TTL_MS;
  const clock = options.clock ?? systemClock;

  return {
    async claim(tenant, updateId) {
      const now = clock.now();
      // Random per claim: a retry of this very Put (its first response lost) finds its own claim.
      const claim = randomBytes(8).toString('hex');
      try {
        await dynamo.send(
          new PutCommand({
            TableName: table,
            Item: { pk: dedupeKey(tenant, updateId), ttl: Math.ceil((now + ttlMs) / 1000), claim },
            // `<=` with the exact time in (fractional) seconds: a claim expires at its `ttl` instant,
            // like the SQLite and in-memory backends.
            ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':now': now / 1000 },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return true;
      } catch (err) {
        // Our own claim, applied by an attempt whose response was lost, is still ours: answering
        // "duplicate" here would drop the update (Telegram got its 200 and never sends it again).
        if (isConditionalCheckFailed(err)) return conditionFailedItem(err)?.claim?.S === claim;
        throw translate(SOURCE, 'claim', err);
      }
    },
    async release(tenant, updateId) {
      try {
        await dynamo.send(new DeleteCommand({ TableName: table, Key: { pk: dedupeKey(tenant, updateId) } }));
      } catch (err) {
        throw translate(SOURCE, 'release', err);
      }
    },
  };
}

const SOURCE = 'telegram:dedupe-dynamo';
