import { randomBytes } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { call, conditionFailedItem, isConditionalCheckFailed, translate } from '../../../aws/index.js';
import { systemClock, type Clock } from '../../../core/clock.js';
import { StorageError } from '../../../core/errors.js';
import { parseTenantId, type TenantId } from '../../../core/ids.js';
import type { ClaimStore } from '../../claims.js';
import { assertClaimKey, assertClaimLimit, assertClaimTtl, assertClaimValue } from '../validate.js';
import { claimSk } from './schema.js';

export interface DynamoClaimStoreOptions {
  doc: DynamoDBDocumentClient;
  /** The sessions' table (`tableDefinition` of sessions/adapters/cloud/schema.ts). */
  table: string;
  clock?: Clock;
}

const SOURCE = 'claims:dynamodb';
const MAX_ATTEMPTS = 8;
/** Absent, or expired but not yet deleted by DynamoDB's TTL process. */
const FREE = 'attribute_not_exists(pk) OR expiresAt <= :now';

/**
 * Claims as items of the sessions' table (`claim#<key>`, layout: `schema.ts`). Every write is one
 * conditional request on the item: `putIfAbsent` a PutItem (condition `FREE`); `increment` an
 * UpdateItem `ADD count` on a live counter under the limit, or — when that finds none — a PutItem
 * starting a new one (condition `FREE`). Each condition holds on its own, so racing increments
 * never count past the limit and an expired counter restarts at 1. Each new item carries a random
 * `nonce`: the SDK's retry of a PutItem whose response was lost finds its own item and still
 * answers "created". (A lost response of the `ADD` is retried as a second count: it errs on the
 * side of refusing.)
 */
export function createDynamoClaimStore(options: DynamoClaimStoreOptions): ClaimStore {
  const { doc, table } = options;
  const clock = options.clock ?? systemClock;
  const now = () => Math.floor(clock.now());
  const address = (tenant: TenantId, key: string) => {
    const pk = parseTenantId(tenant);
    assertClaimKey(key);
    return { pk, sk: claimSk(key) };
  };

  /** PutItem of a new record unless a live one is there; `true`, or the live item found. */
  async function start(
    Key: { pk: string; sk: string },
    fields: { value: string; count: number },
    ttlMs: number,
  ): Promise<true | Record<string, { S?: string; N?: string } | undefined>> {
    const t = now();
    const expiresAt = t + ttlMs;
    const nonce = randomBytes(8).toString('hex');
    try {
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: { ...Key, kind: 'claim', ...fields, expiresAt, ttl: Math.ceil(expiresAt / 1000), nonce },
          ConditionExpression: FREE,
          ExpressionAttributeValues: { ':now': t },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `PutItem ${Key.sk}`, err);
      const found = conditionFailedItem(err) ?? {};
      return found.nonce?.S === nonce ? true : found;
    }
  }

  async function read(Key: { pk: string; sk: string }): Promise<string | null> {
    const res = await call(SOURCE, `GetItem ${Key.sk}`, () =>
      doc.send(new GetCommand({ TableName: table, Key, ConsistentRead: true })),
    );
    const item = res.Item;
    if (!item || !(typeof item.expiresAt === 'number' && item.expiresAt > now())) return null;
    if (typeof item.value !== 'string')
      throw new StorageError(`[${SOURCE}] claim item ${Key.sk} has no value`, { code: 'storage_corrupt' });
    return item.value;
  }

  return {
    async putIfAbsent(tenant, key, value, ttlMs) {
      const Key = address(tenant, key);
      assertClaimValue(value);
      assertClaimTtl(ttlMs);
      const started = await start(Key, { value, count: 0 }, ttlMs);
      if (started === true) return { created: true, value };
      // The live record's value (read again only if the failed condition did not return it).
      const stored = started.value?.S ?? (await read(Key));
      return { created: false, value: stored ?? '' };
    },

    async get(tenant, key) {
      return read(address(tenant, key));
    },

    async delete(tenant, key) {
      const Key = address(tenant, key);
      await call(SOURCE, `DeleteItem ${Key.sk}`, () =>
        doc.send(new DeleteCommand({ TableName: table, Key })),
      );
    },

    async increment(tenant, key, limit, ttlMs) {
      const Key = address(tenant, key);
      assertClaimLimit(limit);
      assertClaimTtl(ttlMs);
      if (limit < 1) return false;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const t = now();
        try {
          await doc.send(
            new UpdateCommand({
              TableName: table,
              Key,
              UpdateExpression: 'ADD #count :one',
              ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND #count < :limit',
              ExpressionAttributeNames: { '#count': 'count' },
              ExpressionAttributeValues: { ':one': 1, ':now': t, ':limit': limit },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          );
          return true;
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `UpdateItem ${Key.sk}`, err);
          const found = conditionFailedItem(err);
          // A live counter at its limit.
          if (found && Number(found.expiresAt?.N) > t) return false;
        }
        // None, or an expired one: start a counter at 1. A racer that started it first wins; count on it.
        if ((await start(Key, { value: '', count: 1 }, ttlMs)) === true) return true;
      }
      throw new StorageError(`[${SOURCE}] increment of ${Key.sk} kept conflicting`, {
        code: 'storage_contention',
      });
    },
  };
}
