import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from '../../../aws/batch-get.js';
import { call } from '../../../aws/index.js';
import type { TenantId } from '../../../core/ids.js';
import { sameConversation, type ConversationKey } from '../../../core/keys.js';
import { parseApprovalId } from '../../ids.js';
import type { ApprovalId, ApprovalRecord } from '../../types.js';
import { SOURCE, approvalLogPrefix, approvalSk, liveItem, tenantLogPrefix, toRecord } from './schema.js';

interface ListDeps {
  doc: DynamoDBDocumentClient;
  table: string;
}

/**
 * Requests indexed by the log items under `prefix` of the tenant's partition, newest first: a
 * Query (`ScanIndexForward: false`, only those still kept) until `limit` ids, then a consistent
 * BatchGetItem of the requests.
 */
async function listByLog(
  deps: ListDeps,
  tenant: TenantId,
  prefix: string,
  limit: number,
  now: number,
): Promise<ApprovalRecord[]> {
  const { doc, table } = deps;
  const ids: ApprovalId[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await call(SOURCE, `Query ${prefix}`, () =>
      doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: 'keepUntil > :now',
          ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix, ':now': now },
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
  const sks = ids.map((id) => approvalSk(tenant, id));
  const items = await batchGetAll({
    doc,
    table,
    keys: sks.map((sk) => ({ pk: tenant, sk })),
    source: SOURCE,
    what: 'approvals',
  });
  const found = new Map(items.map((item) => [String(item.sk), item]));
  return sks.flatMap((sk) => {
    const item = liveItem(found.get(sk), now);
    return item ? [toRecord(tenant, item)] : [];
  });
}

/** A conversation's requests, newest first (its log items `apprlog#<conversation>#…`). */
export async function listApprovals(
  deps: ListDeps,
  key: ConversationKey,
  limit: number,
  now: number,
): Promise<ApprovalRecord[]> {
  const records = await listByLog(deps, key.tenant, approvalLogPrefix(key), limit, now);
  return records.filter((record) => sameConversation(record.key, key));
}

/** A tenant's requests of every conversation, newest first (its tenant log items `apprtlog#…`). */
export async function listTenantApprovals(
  deps: ListDeps,
  tenant: TenantId,
  limit: number,
  now: number,
): Promise<ApprovalRecord[]> {
  return listByLog(deps, tenant, tenantLogPrefix(), limit, now);
}
