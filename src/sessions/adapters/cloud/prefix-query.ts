import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { call, CONSUMED_TOTAL, consumedUnits } from '../../../aws/index.js';
import type { TransferMetrics } from './objects.js';

export interface PrefixQueryDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  /** Transcript reads count their requests and read units here. */
  metrics?: TransferMetrics;
}

/**
 * Every item of `tenant`'s partition whose sort key starts with `prefix` (strongly consistent, all
 * pages), projected to `attributes` when given.
 */
export async function queryPrefix(
  deps: PrefixQueryDeps,
  source: string,
  tenant: string,
  prefix: string,
  attributes?: readonly string[],
): Promise<Array<Record<string, unknown>>> {
  const { doc, table, metrics } = deps;
  const names = attributes && Object.fromEntries(attributes.map((a, i) => [`#a${i}`, a]));
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await call(source, `Query ${prefix}`, () =>
      doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix },
          ...(names && {
            ProjectionExpression: Object.keys(names).join(', '),
            ExpressionAttributeNames: names,
          }),
          ConsistentRead: true,
          ExclusiveStartKey: start,
          ...CONSUMED_TOTAL,
        }),
      ),
    );
    if (metrics) {
      metrics.dynamoReads += 1;
      metrics.dynamoReadUnits += consumedUnits(res.ConsumedCapacity);
    }
    items.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return items;
}
