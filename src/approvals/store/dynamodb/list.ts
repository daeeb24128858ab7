import { BatchGetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { call } from '../../../aws/index.js';
import { StorageError } from '../../../core/errors.js';
import type { TenantId } from '../../../core/ids.js';
import { sameConversation, type ConversationKey } from '../../../core/keys.js';
import { parseApprovalId } from '../../ids.js';
import type { ApprovalId, ApprovalRecord } from '../../types.js';
import { SOURCE, approvalLogPrefix, approvalSk, liveItem, toRecord } from './schema.js';

const BATCH_GET_MAX = 100;

interface ListDeps {
  doc: DynamoDBDocumentClient;
  table: string;
}

/**
 * A conversation's requests, newest first: a Query of its log items (`ScanIndexForward: false`,
 * only those still kept) until `limit` ids, then a consistent BatchGetItem of the requests.
 */
export async function listApprovals(
  deps: ListDeps,
  key: ConversationKey,
  limit: number,
  now: number,
): Promise<ApprovalRecord[]> {
  const { doc, table } = deps;
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
          ExpressionAttributeValues: { ':pk': key.tenant, ':prefix': prefix, ':now': now },
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
  const found = await batchGet(deps, key.tenant, sks);
  return sks.flatMap((sk) => {
    const item = liveItem(found.get(sk), now);
    if (!item) return [];
    const record = toRecord(key.tenant, item);
    return sameConversation(record.key, key) ? [record] : [];
  });
}

/** The items of `sks` (≤ 100 per request), retrying unprocessed keys with a jittered backoff. */
async function batchGet(
  { doc, table }: ListDeps,
  tenant: TenantId,
  sks: string[],
): Promise<Map<string, Record<string, unknown>>> {
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
