import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TenantId } from '../../../core/ids.js';
import type { RawUsageBackend, RawUsageCounter, RawUsageTurn } from '../../conformance.js';

/**
 * Test-only: reads usage items with plain DynamoDB calls and its own spelling of the layout
 * (`pk` = tenant, `sk` = `usage#<counter>` / `usage#turn#…`), sharing no code with the adapter.
 */
export function createDynamoUsageRaw(deps: { doc: DynamoDBDocumentClient; table: string }): RawUsageBackend {
  const { doc, table } = deps;

  async function query(tenant: TenantId, prefix: string): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  return {
    async readCounter(tenant, name) {
      const res = await doc.send(
        new GetCommand({ TableName: table, Key: { pk: tenant, sk: `usage#${name}` }, ConsistentRead: true }),
      );
      const i = res.Item;
      if (!i) return null;
      const counter: RawUsageCounter = {
        turns: Number(i.turns),
        inputTokens: Number(i.inputTokens),
        outputTokens: Number(i.outputTokens),
        cacheCreationTokens: Number(i.cacheCreationTokens),
        cacheReadTokens: Number(i.cacheReadTokens),
        costMicroUsd: Number(i.costMicroUsd),
        expiresAt: Number(i.ttl) * 1000,
      };
      return counter;
    },

    async listTurns(tenant) {
      const items = await query(tenant, 'usage#turn#');
      return items.map((i): RawUsageTurn => ({
        chat: String(i.chat),
        thread: String(i.thread),
        userId: typeof i.userId === 'string' ? i.userId : null,
        sessionId: String(i.sessionId),
        model: String(i.model),
        inputTokens: Number(i.inputTokens),
        outputTokens: Number(i.outputTokens),
        cacheCreationTokens: Number(i.cacheCreationTokens),
        cacheReadTokens: Number(i.cacheReadTokens),
        costMicroUsd: Number(i.costMicroUsd),
        durationMs: Number(i.durationMs),
        at: Number(i.at),
        expiresAt: Number(i.ttl) * 1000,
      }));
    },

    async listTenantKeys(tenant) {
      const items = await query(tenant, 'usage#');
      return items.map((i) => String(i.sk).slice('usage#'.length)).sort();
    },
  };
}
