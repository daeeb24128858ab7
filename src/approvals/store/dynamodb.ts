import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  PutCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { call, cancellationCodes, isConditionalCheckFailed, translate } from '../../aws/index.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { StorageError } from '../../core/errors.js';
import { parseRequestId, parseSessionId, type SessionId, type TenantId } from '../../core/ids.js';
import { conversationKey, conversationKeyString, type ConversationKey } from '../../core/keys.js';
import { parseApprovalId } from '../ids.js';
import type { ApprovalId, ApprovalRecord, ApprovalStore } from '../types.js';
import {
  GRANT_RETENTION_MS,
  MAX_GRANTS,
  approvalRetentionMs,
  assertIdenticalRetry,
  checkId,
  checkKey,
  checkNewRecord,
  checkNotice,
  checkResolution,
  checkRule,
  checkTenant,
  failedResolve,
  isStatus,
  keepUntil,
  listLimit,
  tooManyGrants,
} from './record.js';

/**
 * Approvals in the sessions' single DynamoDB table (`pk` = tenant, so no key of tenant A can
 * address tenant B's items):
 *
 * | item     | sk                                                   | attributes                                  |
 * |----------|------------------------------------------------------|---------------------------------------------|
 * | request  | `appr#<tenant>#<id>`                                 | the record's fields (`chat`, `thread` for the key), `keepUntil`, `ttl` |
 * | log      | `apprlog#<tenant>:<chat>:<thread>#<createdAt, 13 digits>#<id>` | `id`, `keepUntil`, `ttl`           |
 * | grants   | `grant#<tenant>:<chat>:<thread>#<sessionId>`         | `rules` (list, in grant order), `expiresAt`, `ttl` |
 *
 * The log item is the conversation's index: `list` is one Query on its prefix, newest first
 * (`ScanIndexForward: false`), then a BatchGetItem of the requests. `create` writes both in one
 * transaction, so every request is listed. `keepUntil` = `expiresAt` + retention (ms), `ttl` the
 * same in epoch seconds; expired items read as absent until DynamoDB deletes them.
 */
export const APPROVAL_PREFIX = 'appr#';
export const APPROVAL_LOG_PREFIX = 'apprlog#';
export const GRANT_PREFIX = 'grant#';

export function approvalSk(tenant: TenantId, id: ApprovalId): string {
  return `${APPROVAL_PREFIX}${tenant}#${id}`;
}

export function approvalLogPrefix(key: ConversationKey): string {
  return `${APPROVAL_LOG_PREFIX}${conversationKeyString(key)}#`;
}

export function approvalLogSk(record: Pick<ApprovalRecord, 'key' | 'createdAt' | 'id'>): string {
  return `${approvalLogPrefix(record.key)}${String(record.createdAt).padStart(13, '0')}#${record.id}`;
}

export function grantSk(key: ConversationKey, sessionId: SessionId): string {
  return `${GRANT_PREFIX}${conversationKeyString(key)}#${sessionId}`;
}

export interface DynamoApprovalStoreOptions {
  doc: DynamoDBDocumentClient;
  table: string;
  clock?: Clock;
  /** Days records are kept after `expiresAt` (default: the usage retention's default). */
  retentionDays?: number;
}

const SOURCE = 'approvals:dynamodb';
const MAX_CREATE_ATTEMPTS = 3;
const MAX_GRANT_ATTEMPTS = 10;
const BATCH_GET_MAX = 100;

function corrupt(sk: unknown): never {
  throw new StorageError(`[${SOURCE}] malformed approval item ${String(sk)}`, { code: 'storage_corrupt' });
}

function str(item: Record<string, unknown>, name: string): string {
  const value = item[name];
  return typeof value === 'string' ? value : corrupt(item.sk);
}

function num(item: Record<string, unknown>, name: string): number {
  const value = item[name];
  return typeof value === 'number' ? value : corrupt(item.sk);
}

function toRecord(tenant: TenantId, item: Record<string, unknown>): ApprovalRecord {
  const status = item.status;
  if (!isStatus(status)) corrupt(item.sk);
  const record: ApprovalRecord = {
    id: parseApprovalId(item.id),
    key: conversationKey({ tenant, chat: item.chat, thread: item.thread }),
    sessionId: parseSessionId(item.sessionId),
    toolUseId: str(item, 'toolUseId'),
    tool: str(item, 'tool'),
    input: str(item, 'input'),
    summary: str(item, 'summary'),
    grantRule: str(item, 'grantRule'),
    createdAt: num(item, 'createdAt'),
    expiresAt: num(item, 'expiresAt'),
    status,
  };
  if (typeof item.requestedBy === 'string') record.requestedBy = item.requestedBy;
  if (typeof item.resolvedAt === 'number') record.resolvedAt = item.resolvedAt;
  if (typeof item.resolvedBy === 'string') record.resolvedBy = item.resolvedBy;
  if (typeof item.resolvedByRequest === 'string')
    record.resolvedByRequest = parseRequestId(item.resolvedByRequest);
  const notice = item.notice as { chatId?: unknown; messageId?: unknown } | undefined;
  if (notice && typeof notice.chatId === 'number' && typeof notice.messageId === 'number')
    record.notice = { chatId: notice.chatId, messageId: notice.messageId };
  return record;
}

/** Approval requests, grants and the per-conversation audit log as items of the sessions' table. */
export function createDynamoApprovalStore(options: DynamoApprovalStoreOptions): ApprovalStore {
  const { doc, table } = options;
  const clock = options.clock ?? systemClock;
  const retention = approvalRetentionMs(options.retentionDays);
  const now = () => Math.floor(clock.now());
  const live = (item: Record<string, unknown> | undefined, t = now()) =>
    item !== undefined && typeof item.keepUntil === 'number' && item.keepUntil > t ? item : undefined;

  async function read(tenant: TenantId, id: ApprovalId): Promise<ApprovalRecord | null> {
    const sk = approvalSk(tenant, id);
    const res = await call(SOURCE, `GetItem ${sk}`, () =>
      doc.send(new GetCommand({ TableName: table, Key: { pk: tenant, sk }, ConsistentRead: true })),
    );
    const item = live(res.Item);
    return item ? toRecord(tenant, item) : null;
  }

  async function batchGet(tenant: TenantId, sks: string[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < sks.length; i += BATCH_GET_MAX) {
      let keys: Array<Record<string, unknown>> = sks
        .slice(i, i + BATCH_GET_MAX)
        .map((sk) => ({ pk: tenant, sk }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= 8)
          throw new StorageError(`[${SOURCE}] BatchGetItem kept returning unprocessed keys`, {
            code: 'storage_throttled',
          });
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** attempt));
        const res = await call(SOURCE, `BatchGetItem ${keys.length} approvals`, () =>
          doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } })),
        );
        for (const item of res.Responses?.[table] ?? []) found.set(String(item.sk), item);
        keys = res.UnprocessedKeys?.[table]?.Keys ?? [];
      }
    }
    return found;
  }

  const grantKey = (key: ConversationKey, sessionId: SessionId) => {
    const k = checkKey(key);
    return { pk: k.tenant, sk: grantSk(k, parseSessionId(sessionId)) };
  };

  return {
    async create(input) {
      const r = checkNewRecord(input);
      const tenant = r.key.tenant;
      const until = keepUntil(r, retention);
      const ttl = Math.ceil(until / 1000);
      const { key, ...fields } = r;
      const item = {
        pk: tenant,
        sk: approvalSk(tenant, r.id),
        kind: 'approval',
        ...fields,
        chat: key.chat,
        thread: key.thread,
        keepUntil: until,
        ttl,
      };
      const log = { pk: tenant, sk: approvalLogSk(r), kind: 'approval-log', id: r.id, keepUntil: until, ttl };
      for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt++) {
        try {
          await doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: table,
                    Item: item,
                    ConditionExpression: 'attribute_not_exists(sk) OR keepUntil <= :now',
                    ExpressionAttributeValues: { ':now': now() },
                  },
                },
                { Put: { TableName: table, Item: log } },
              ],
            }),
          );
          return;
        } catch (err) {
          const codes = cancellationCodes(err);
          if (codes?.[0] !== 'ConditionalCheckFailed') throw translate(SOURCE, `create ${item.sk}`, err);
        }
        const existing = await read(tenant, r.id);
        if (existing) return assertIdenticalRetry(existing, r, SOURCE);
      }
      throw new StorageError(`[${SOURCE}] create of ${item.sk} kept conflicting`, {
        code: 'storage_contention',
      });
    },

    async get(tenant, id) {
      return read(checkTenant(tenant), checkId(id));
    },

    async resolve(tenantInput, idInput, input) {
      const tenant = checkTenant(tenantInput);
      const id = checkId(idInput);
      const res = checkResolution(input);
      const sk = approvalSk(tenant, id);
      const values: Record<string, unknown> = {
        ':pending': 'pending',
        ':now': now(),
        ':s': res.status,
        ':at': res.at,
      };
      const sets = ['#status = :s', 'resolvedAt = :at'];
      if (res.by !== undefined) {
        sets.push('resolvedBy = :by');
        values[':by'] = res.by;
      }
      if (res.requestId !== undefined) {
        sets.push('resolvedByRequest = :req');
        values[':req'] = res.requestId;
      }
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: tenant, sk },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(sk) AND #status = :pending AND keepUntil > :now',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { ok: true, record: toRecord(tenant, out.Attributes ?? {}) };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `resolve ${sk}`, err);
      }
      // Lost the condition: the status only ever moves once, so this read is final.
      return failedResolve(await read(tenant, id), res);
    },

    async setNotice(tenantInput, idInput, input) {
      const tenant = checkTenant(tenantInput);
      const sk = approvalSk(tenant, checkId(idInput));
      const notice = checkNotice(input);
      try {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: tenant, sk },
            UpdateExpression: 'SET notice = :n',
            ConditionExpression: 'attribute_exists(sk) AND keepUntil > :now',
            ExpressionAttributeValues: { ':n': notice, ':now': now() },
          }),
        );
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `setNotice ${sk}`, err);
      }
    },

    async grant(key, sessionId, input) {
      const itemKey = grantKey(key, sessionId);
      const rule = checkRule(input);
      for (let attempt = 0; attempt < MAX_GRANT_ATTEMPTS; attempt++) {
        const t = now();
        const expiresAt = t + GRANT_RETENTION_MS;
        const ttl = Math.ceil(expiresAt / 1000);
        try {
          // A live set without the rule and with room: append.
          await doc.send(
            new UpdateCommand({
              TableName: table,
              Key: itemKey,
              UpdateExpression: 'SET #rules = list_append(#rules, :new), expiresAt = :exp, #ttl = :ttl',
              ConditionExpression:
                'attribute_exists(sk) AND expiresAt > :now AND NOT contains(#rules, :rule) AND size(#rules) < :max',
              ExpressionAttributeNames: { '#rules': 'rules', '#ttl': 'ttl' },
              ExpressionAttributeValues: {
                ':new': [rule],
                ':rule': rule,
                ':max': MAX_GRANTS,
                ':now': t,
                ':exp': expiresAt,
                ':ttl': ttl,
              },
            }),
          );
          return;
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `grant ${itemKey.sk}`, err);
        }
        const res = await call(SOURCE, `GetItem ${itemKey.sk}`, () =>
          doc.send(new GetCommand({ TableName: table, Key: itemKey, ConsistentRead: true })),
        );
        const current = res.Item && Number(res.Item.expiresAt) > t ? res.Item : undefined;
        if (current) {
          const rules = Array.isArray(current.rules) ? current.rules : [];
          if (rules.includes(rule)) return;
          if (rules.length >= MAX_GRANTS) tooManyGrants(SOURCE);
          continue; // changed since the update: try again
        }
        // Absent or expired: start a new set, unless a concurrent grant just did.
        try {
          await doc.send(
            new PutCommand({
              TableName: table,
              Item: { ...itemKey, kind: 'grants', rules: [rule], expiresAt, ttl },
              ConditionExpression: 'attribute_not_exists(sk) OR expiresAt <= :now',
              ExpressionAttributeValues: { ':now': t },
            }),
          );
          return;
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `grant ${itemKey.sk}`, err);
        }
      }
      throw new StorageError(`[${SOURCE}] grant on ${itemKey.sk} kept conflicting`, {
        code: 'storage_contention',
      });
    },

    async grants(key, sessionId) {
      const itemKey = grantKey(key, sessionId);
      const res = await call(SOURCE, `GetItem ${itemKey.sk}`, () =>
        doc.send(new GetCommand({ TableName: table, Key: itemKey, ConsistentRead: true })),
      );
      const item = res.Item;
      if (!item || Number(item.expiresAt) <= now() || !Array.isArray(item.rules)) return [];
      return item.rules.filter((r): r is string => typeof r === 'string');
    },

    async list(keyInput, options) {
      const key = checkKey(keyInput);
      const limit = listLimit(options);
      const t = now();
      const prefix = approvalLogPrefix(key);
      const ids: ApprovalId[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const res = await call(SOURCE, `Query ${prefix}`, () =>
          doc.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              FilterExpression: 'keepUntil > :now',
              ExpressionAttributeValues: { ':pk': key.tenant, ':prefix': prefix, ':now': t },
              ProjectionExpression: '#id',
              ExpressionAttributeNames: { '#id': 'id' },
              ScanIndexForward: false,
              ConsistentRead: true,
              Limit: limit - ids.length,
              ExclusiveStartKey: start,
            }),
          ),
        );
        for (const item of res.Items ?? []) ids.push(parseApprovalId(item.id));
        start = res.LastEvaluatedKey;
      } while (start && ids.length < limit);
      const sks = ids.map((id) => approvalSk(key.tenant, id));
      const found = await batchGet(key.tenant, sks);
      const keyString = conversationKeyString(key);
      return sks.flatMap((sk) => {
        const item = live(found.get(sk), t);
        if (!item) return [];
        const record = toRecord(key.tenant, item);
        return conversationKeyString(record.key) === keyString ? [record] : [];
      });
    },
  };
}
