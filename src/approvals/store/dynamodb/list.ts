import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from '../../../aws/batch-get.js';
import { call } from '../../../aws/index.js';
import { sameConversation, type ConversationKey } from '../../../core/keys.js';
import { parseApprovalId } from '../../ids.js';
import type { ApprovalId, ApprovalRecord } from '../../types.js';
import { SOURCE, approvalLogPrefix, approvalSk, liveItem, toRecord } from './schema.js';

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
  const items = await batchGetAll({
    doc,
    table,
    keys: sks.map((sk) => ({ pk: key.tenant, sk })),
    source: SOURCE,
    what: 'approvals',
  });
  const found = new Map(items.map((item) => [String(item.sk), item]));
  return sks.flatMap((sk) => {
    const item = liveItem(found.get(sk), now);
    if (!item) return [];
    const record = toRecord(key.tenant, item);
    return sameConversation(record.key, key) ? [record] : [];
  });
}
