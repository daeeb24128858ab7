import { randomBytes } from 'node:crypto';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DAY_MS, type Clock } from '../../../core/clock.js';
import { FencedWriteError, LeaseConflictError } from '../../../core/errors.js';
import { conversationKeyString, type ConversationKey } from '../../../core/keys.js';
import type { Lease, LeaseManager } from '../../types.js';
import { call, conditionFailedItem, isConditionalCheckFailed, translate } from '../../../aws/index.js';
import { conversationPk, leaseSk } from './schema.js';

export const DEFAULT_LEASE_TTL_MS = 60_000;
const POLL_MS = 50;

export interface LeaseDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
  /** Prefix of lease owners (host/process); each acquire adds a random suffix. */
  ownerPrefix: string;
}

/**
 * Leases as one DynamoDB item per conversation, in the conversation's partition (new key only: a
 * lease lives seconds to minutes, so one written by an earlier release under `pk` = tenant is
 * never read — docs/scale.md §8.1). The item is never deleted on release (only
 * emptied), so `token` — incremented by every successful acquire — is a fencing token that only
 * grows. Expiry is judged with the injected clock.
 */
export function createCloudLeases(deps: LeaseDeps): LeaseManager {
  const { doc, table, clock } = deps;
  const source = 'sessions:cloud:lease';
  const ttlSeconds = (expiresAt: number): number => Math.ceil((expiresAt + DAY_MS) / 1000);

  async function tryAcquire(key: ConversationKey, ttlMs: number): Promise<Lease | null> {
    const now = clock.now();
    const owner = `${deps.ownerPrefix}/${randomBytes(6).toString('hex')}`;
    const expiresAt = now + ttlMs;
    try {
      const res = await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: conversationPk(key), sk: leaseSk(key) },
          UpdateExpression:
            'SET #token = if_not_exists(#token, :zero) + :one, #owner = :owner, #exp = :exp, #ttl = :ttl, #kind = :kind',
          ConditionExpression: 'attribute_not_exists(pk) OR #exp <= :now',
          ExpressionAttributeNames: {
            '#token': 'token',
            '#owner': 'owner',
            '#exp': 'expiresAt',
            '#ttl': 'ttl',
            '#kind': 'kind',
          },
          ExpressionAttributeValues: {
            ':zero': 0,
            ':one': 1,
            ':owner': owner,
            ':exp': expiresAt,
            ':ttl': ttlSeconds(expiresAt),
            ':kind': 'lease',
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const token = Number(res.Attributes?.token);
      return { key, token, owner, expiresAt };
    } catch (err) {
      if (isConditionalCheckFailed(err)) {
        // The client's retry of this very request, after the response of an attempt that took the
        // lease was lost: the owner (random per acquire) and expiry are ours, so the lease is ours.
        // Without this the lease stayed held by nobody until it expired (docs/reliability.md).
        const held = conditionFailedItem(err);
        if (held?.owner?.S === owner && Number(held.expiresAt?.N) === expiresAt) {
          return { key, token: Number(held.token?.N), owner, expiresAt };
        }
        return null;
      }
      throw translate(source, `acquire ${conversationKeyString(key)}`, err);
    }
  }

  return {
    async acquire(key, options) {
      const ttlMs = options?.ttlMs ?? DEFAULT_LEASE_TTL_MS;
      const deadline = Date.now() + (options?.waitMs ?? 0);
      for (;;) {
        const lease = await tryAcquire(key, ttlMs);
        if (lease) return lease;
        if (Date.now() + POLL_MS > deadline) {
          throw new LeaseConflictError(
            `[sessions:cloud] conversation ${conversationKeyString(key)} is busy: another worker holds its lease`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },

    async heartbeat(lease, ttlMs) {
      const expiresAt = clock.now() + (ttlMs ?? DEFAULT_LEASE_TTL_MS);
      try {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: conversationPk(lease.key), sk: leaseSk(lease.key) },
            UpdateExpression: 'SET #exp = :exp, #ttl = :ttl',
            ConditionExpression: '#token = :token AND #owner = :owner',
            ExpressionAttributeNames: {
              '#token': 'token',
              '#owner': 'owner',
              '#exp': 'expiresAt',
              '#ttl': 'ttl',
            },
            ExpressionAttributeValues: {
              ':token': lease.token,
              ':owner': lease.owner,
              ':exp': expiresAt,
              ':ttl': ttlSeconds(expiresAt),
            },
          }),
        );
      } catch (err) {
        if (isConditionalCheckFailed(err)) {
          throw new FencedWriteError(
            `[sessions:cloud] lease ${lease.token} on ${conversationKeyString(lease.key)} was lost (released or taken over)`,
          );
        }
        throw translate(source, `heartbeat ${conversationKeyString(lease.key)}`, err);
      }
      return { ...lease, expiresAt };
    },

    async release(lease) {
      try {
        await call(source, `release ${conversationKeyString(lease.key)}`, () =>
          doc.send(
            new UpdateCommand({
              TableName: table,
              Key: { pk: conversationPk(lease.key), sk: leaseSk(lease.key) },
              UpdateExpression: 'SET #owner = :empty, #exp = :zero',
              ConditionExpression: '#token = :token AND #owner = :owner',
              ExpressionAttributeNames: { '#token': 'token', '#owner': 'owner', '#exp': 'expiresAt' },
              ExpressionAttributeValues: {
                ':token': lease.token,
                ':owner': lease.owner,
                ':empty': '',
                ':zero': 0,
              },
            }),
          ),
        );
      } catch (err) {
        if (err instanceof Error && isConditionalCheckFailed((err as { cause?: unknown }).cause)) return;
        throw err;
      }
    },

    // `stopToken` is set to the token of the turn holding the lease: a later turn (another token)
    // is not stopped by it. Only a held, unexpired lease is marked; the item is never created here.
    async requestStop(key, options) {
      const turn = options?.turn;
      try {
        const res = await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: conversationPk(key), sk: leaseSk(key) },
            UpdateExpression: 'SET #stop = #token',
            ConditionExpression: `#owner <> :empty AND #exp > :now${turn === undefined ? '' : ' AND #token = :turn'}`,
            ExpressionAttributeNames: {
              '#stop': 'stopToken',
              '#token': 'token',
              '#owner': 'owner',
              '#exp': 'expiresAt',
            },
            ExpressionAttributeValues: {
              ':empty': '',
              ':now': clock.now(),
              ...(turn === undefined ? {} : { ':turn': turn }),
            },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        return { stopping: true, turn: Number(res.Attributes?.stopToken) };
      } catch (err) {
        if (isConditionalCheckFailed(err)) return { stopping: false };
        throw translate(source, `stop ${conversationKeyString(key)}`, err);
      }
    },

    async stopRequested(lease) {
      const item = await read(lease.key, 'stop check');
      return item !== undefined && item.token === lease.token && item.stopToken === lease.token;
    },

    async current(key) {
      const item = await read(key, 'current');
      return item !== undefined && item.owner !== '' && (item.expiresAt ?? 0) > clock.now()
        ? { turn: Number(item.token) }
        : null;
    },
  };

  async function read(
    key: ConversationKey,
    what: string,
  ): Promise<{ token?: number; stopToken?: number; owner?: string; expiresAt?: number } | undefined> {
    const res = await call(source, `${what} ${conversationKeyString(key)}`, () =>
      doc.send(
        new GetCommand({
          TableName: table,
          Key: { pk: conversationPk(key), sk: leaseSk(key) },
          ConsistentRead: true,
          ProjectionExpression: '#token, #stop, #owner, #exp',
          ExpressionAttributeNames: {
            '#token': 'token',
            '#stop': 'stopToken',
            '#owner': 'owner',
            '#exp': 'expiresAt',
          },
        }),
      ),
    );
    return res.Item as { token?: number; stopToken?: number; owner?: string; expiresAt?: number } | undefined;
  }
}
