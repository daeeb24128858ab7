import {
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { call, cancellationCodes, isConditionalCheckFailed, translate } from '../../../aws/index.js';
import { systemClock, type Clock } from '../../../core/clock.js';
import { StorageError } from '../../../core/errors.js';
import type { TenantId } from '../../../core/ids.js';
import type { ApprovalId, ApprovalRecord, ApprovalStore } from '../../types.js';
import {
  approvalRetentionMs,
  assertIdenticalRetry,
  checkId,
  checkKey,
  checkNewRecord,
  checkNotice,
  checkResolution,
  checkTenant,
  failedResolve,
  keepUntil,
  listLimit,
} from '../record.js';
import { createDynamoGrants } from './grants.js';
import { listApprovals, listTenantApprovals } from './list.js';
import { SOURCE, approvalLogSk, approvalSk, liveItem, tenantLogSk, toRecord } from './schema.js';

export {
  APPROVAL_LOG_PREFIX,
  APPROVAL_TENANT_LOG_PREFIX,
  APPROVAL_PREFIX,
  GRANT_PREFIX,
  approvalLogPrefix,
  approvalLogSk,
  approvalSk,
  grantSk,
  tenantLogSk,
} from './schema.js';

export interface DynamoApprovalStoreOptions {
  doc: DynamoDBDocumentClient;
  /** The sessions' table (`tableDefinition` of sessions/adapters/cloud/schema.ts). */
  table: string;
  clock?: Clock;
  /** Days records are kept after `expiresAt` (default: the usage retention's default). */
  retentionDays?: number;
}

const MAX_CREATE_ATTEMPTS = 8;

/**
 * Approval requests, grants and the per-conversation audit log as items of the sessions' table
 * (layout: `schema.ts`). `create` is one transaction (request + conversation and tenant log items), `resolve` one
 * conditional update on `status = 'pending'`.
 */
export function createDynamoApprovalStore(options: DynamoApprovalStoreOptions): ApprovalStore {
  const { doc, table } = options;
  const clock = options.clock ?? systemClock;
  const retention = approvalRetentionMs(options.retentionDays);
  const now = () => Math.floor(clock.now());

  async function read(tenant: TenantId, id: ApprovalId): Promise<ApprovalRecord | null> {
    const sk = approvalSk(tenant, id);
    const res = await call(SOURCE, `GetItem ${sk}`, () =>
      doc.send(new GetCommand({ TableName: table, Key: { pk: tenant, sk }, ConsistentRead: true })),
    );
    const item = liveItem(res.Item, now());
    return item ? toRecord(tenant, item) : null;
  }

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
      const tenantLog = { ...log, sk: tenantLogSk(r), kind: 'approval-tenant-log' };
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
                { Put: { TableName: table, Item: tenantLog } },
              ],
            }),
          );
          return;
        } catch (err) {
          const codes = cancellationCodes(err);
          // A concurrent create of the same id (a racing retry): wait for it, then compare.
          if (codes?.includes('TransactionConflict')) {
            await new Promise((done) => setTimeout(done, 5 + Math.random() * 20 * (attempt + 1)));
            continue;
          }
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

    ...createDynamoGrants({ doc, table, clock }),

    async list(key, options) {
      return listApprovals({ doc, table }, checkKey(key), listLimit(options), now());
    },

    async listTenant(tenant, options) {
      return listTenantApprovals({ doc, table }, checkTenant(tenant), listLimit(options), now());
    },
  };
}
