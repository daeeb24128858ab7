import { createHash } from 'node:crypto';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TenantId } from '../../../core/ids.js';
import type { RawUsageBackend, RawUsageCounter, RawUsageTurn } from '../../conformance.js';

/** One usage item as stored, with its partition key (the DynamoDB-only raw checks). */
export interface RawUsageItem {
  pk: string;
  sk: string;
  chat?: string;
  thread?: string;
}

export interface DynamoUsageRaw extends RawUsageBackend {
  /** Every usage item of a tenant on its shards and its legacy key, with `pk` and `sk`. */
  listItems(tenant: TenantId): Promise<RawUsageItem[]>;
  /** The shard a conversation's items must be on, computed here independently of the adapter. */
  expectedPk(tenant: TenantId, chat: string, thread: string): string;
}

/**
 * Test-only: reads usage items with plain DynamoDB calls and its own spelling of the layout
 * (`pk` = `<tenant>#u<k>` for k < `shards`, plus the legacy `pk` = tenant; `sk` = `usage#<counter>` /
 * `usage#turn#…`), sharing no code with the adapter. A counter is the sum of its items over the
 * shards (its `expiresAt` the latest of them); keys and turns are listed item by item.
 */
export function createDynamoUsageRaw(deps: {
  doc: DynamoDBDocumentClient;
  table: string;
  /** The adapter's shard count (default 8, as the adapter's). */
  shards?: number;
}): DynamoUsageRaw {
  const { doc, table } = deps;
  const shards = deps.shards ?? 8;
  const pks = (tenant: TenantId) => [tenant, ...Array.from({ length: shards }, (_, k) => `${tenant}#u${k}`)];

  async function query(pk: string, prefix: string): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  const queryAll = async (tenant: TenantId, prefix: string) =>
    (await Promise.all(pks(tenant).map((pk) => query(pk, prefix)))).flat();

  return {
    async readCounter(tenant, name) {
      const items = (await queryAll(tenant, `usage#${name}`)).filter((i) => i.sk === `usage#${name}`);
      if (items.length === 0) return null;
      const sum = (attr: string) => items.reduce((total, i) => total + Number(i[attr]), 0);
      const counter: RawUsageCounter = {
        turns: sum('turns'),
        inputTokens: sum('inputTokens'),
        outputTokens: sum('outputTokens'),
        cacheCreationTokens: sum('cacheCreationTokens'),
        cacheReadTokens: sum('cacheReadTokens'),
        costMicroUsd: sum('costMicroUsd'),
        expiresAt: Math.max(...items.map((i) => Number(i.ttl) * 1000)),
      };
      return counter;
    },

    async readModelSet(tenant, name) {
      const items = (await queryAll(tenant, `usage#${name}`)).filter((i) => i.sk === `usage#${name}`);
      const sets = items.flatMap((i) => (i.models instanceof Set ? [[...(i.models as Set<string>)]] : []));
      return sets.length === 0 ? null : [...new Set(sets.flat())].sort();
    },

    async listTurns(tenant) {
      const items = await queryAll(tenant, 'usage#turn#');
      return items
        .map((i): RawUsageTurn => ({
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
        }))
        .sort((a, b) => a.at - b.at);
    },

    async listTenantKeys(tenant) {
      const items = await queryAll(tenant, 'usage#');
      return items.map((i) => String(i.sk).slice('usage#'.length)).sort();
    },

    async listItems(tenant) {
      const items = await queryAll(tenant, 'usage#');
      return items.map((i) => ({
        pk: String(i.pk),
        sk: String(i.sk),
        ...(typeof i.chat === 'string' ? { chat: i.chat } : {}),
        ...(typeof i.thread === 'string' ? { thread: i.thread } : {}),
      }));
    },

    expectedPk(tenant, chat, thread) {
      const digest = createHash('sha256').update(`${chat}:${thread}`).digest();
      return `${tenant}#u${digest.readUInt32BE(0) % shards}`;
    },
  };
}
