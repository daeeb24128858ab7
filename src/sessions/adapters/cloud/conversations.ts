import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { CONVERSATION_RETENTION_DAYS, DAY_MS, type Clock } from '../../../core/clock.js';
import { StorageError } from '../../../core/errors.js';
import { parseSessionId, type SessionId, type TenantId } from '../../../core/ids.js';
import { conversationKey, conversationKeyString, type ConversationKey } from '../../../core/keys.js';
import { parseApprovalId } from '../../../approvals/ids.js';
import type { ConversationMap, ConversationRecord } from '../../types.js';
import { call, isConditionalCheckFailed, translate } from '../../../aws/index.js';
import { queryPrefix } from './prefix-query.js';
import { CONVERSATION_PREFIX, conversationSk, type ConversationItem } from './schema.js';

const RETENTION_MS = CONVERSATION_RETENTION_DAYS * DAY_MS;
const MAX_ATTEMPTS = 10;

export interface ConversationDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
}

function toRecord(tenant: TenantId, item: Record<string, unknown>): ConversationRecord {
  const c = item as Partial<ConversationItem>;
  return {
    key: conversationKey({ tenant, chat: c.chat, thread: c.thread }),
    sessionId: parseSessionId(c.sessionId),
    createdAt: Number(c.createdAt),
    updatedAt: Number(c.updatedAt),
    expiresAt: Number(c.expiresAt),
    turns: Number(c.turns),
    ...(c.pendingApproval !== undefined ? { pendingApproval: parseApprovalId(c.pendingApproval) } : {}),
  };
}

/**
 * The conversation map as one item per conversation in the tenant's partition. `ttl` (seconds)
 * lets DynamoDB delete it 25 days after the last turn; until it does, an expired item reads as
 * absent and the next `touch` starts it afresh.
 */
export function createCloudConversations(deps: ConversationDeps): ConversationMap {
  const { doc, table, clock } = deps;
  const source = 'sessions:cloud:conversations';
  const keyOf = (key: ConversationKey) => ({ pk: key.tenant, sk: conversationSk(key) });

  return {
    async get(key) {
      const res = await call(source, `GetItem ${conversationKeyString(key)}`, () =>
        doc.send(new GetCommand({ TableName: table, Key: keyOf(key), ConsistentRead: true })),
      );
      if (!res.Item || Number(res.Item.expiresAt) <= clock.now()) return null;
      return toRecord(key.tenant, res.Item);
    },

    async touch(key, sessionId: SessionId, options) {
      const pending =
        options?.pendingApproval === undefined ? undefined : parseApprovalId(options.pendingApproval);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const now = clock.now();
        const expiresAt = now + RETENTION_MS;
        const ttl = Math.ceil(expiresAt / 1000);
        try {
          // A live record: refresh it.
          const res = await doc.send(
            new UpdateCommand({
              TableName: table,
              Key: keyOf(key),
              UpdateExpression:
                'SET sessionId = :sid, updatedAt = :now, expiresAt = :exp, #ttl = :ttl' +
                (pending !== undefined ? ', pendingApproval = :pa' : '') +
                ' ADD turns :one' +
                (pending === undefined ? ' REMOVE pendingApproval' : ''),
              ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
              ExpressionAttributeNames: { '#ttl': 'ttl' },
              ExpressionAttributeValues: {
                ':sid': sessionId,
                ':now': now,
                ':exp': expiresAt,
                ':ttl': ttl,
                ':one': 1,
                ...(pending !== undefined ? { ':pa': pending } : {}),
              },
              ReturnValues: 'ALL_NEW',
            }),
          );
          return toRecord(key.tenant, res.Attributes ?? {});
        } catch (err) {
          if (!isConditionalCheckFailed(err))
            throw translate(source, `touch ${conversationKeyString(key)}`, err);
        }
        // Absent or expired: start afresh, unless a concurrent touch just did.
        const item: ConversationItem = {
          ...keyOf(key),
          kind: 'conversation',
          chat: key.chat,
          thread: key.thread,
          sessionId,
          createdAt: now,
          updatedAt: now,
          expiresAt,
          turns: 1,
          ttl,
          ...(pending !== undefined ? { pendingApproval: pending } : {}),
        };
        try {
          await doc.send(
            new PutCommand({
              TableName: table,
              Item: item,
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
              ExpressionAttributeValues: { ':now': now },
            }),
          );
          return toRecord(key.tenant, item as unknown as Record<string, unknown>);
        } catch (err) {
          if (!isConditionalCheckFailed(err))
            throw translate(source, `touch ${conversationKeyString(key)}`, err);
        }
      }
      throw new StorageError(`[sessions:cloud] touch of ${conversationKeyString(key)} kept conflicting`, {
        code: 'storage_contention',
      });
    },

    async remove(key) {
      const res = await call(source, `DeleteItem ${conversationKeyString(key)}`, () =>
        doc.send(new DeleteCommand({ TableName: table, Key: keyOf(key), ReturnValues: 'ALL_OLD' })),
      );
      if (!res.Attributes || Number(res.Attributes.expiresAt) <= clock.now()) return null;
      return toRecord(key.tenant, res.Attributes);
    },

    async list(tenant) {
      const now = clock.now();
      const items = await queryPrefix({ doc, table }, source, tenant, `${CONVERSATION_PREFIX}${tenant}:`);
      return items.filter((item) => Number(item.expiresAt) > now).map((item) => toRecord(tenant, item));
    },
  };
}
