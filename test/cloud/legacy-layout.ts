import { DeleteCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Rewrites a table written by the current code into the layout of the releases before
 * docs/scale.md §8.1, exactly as they stored it: every session item of `tenant` (heads, table
 * parts, conversation, lease, turn-ledger records) under `pk` = tenant with the same sort key and
 * without the `indexTtl` attribute they did not have; index markers removed. Returns how many items
 * were moved. Spelled out here, sharing no code with the adapter.
 */
export async function rewriteToLegacyLayout(
  doc: DynamoDBDocumentClient,
  table: string,
  tenant: string,
): Promise<number> {
  const items = await scanAll(doc, table);
  // Markers first: a moved item takes its marker's key (same sort key on the tenant partition).
  for (const item of items) {
    if (item.pk === tenant && (item.kind === 'head-index' || item.kind === 'conversation-index')) {
      await doc.send(new DeleteCommand({ TableName: table, Key: { pk: tenant, sk: String(item.sk) } }));
    }
  }
  let moved = 0;
  for (const item of items) {
    const pk = String(item.pk);
    if (pk.startsWith(`${tenant}#s#`) || pk.startsWith(`${tenant}#c#`)) {
      const { indexTtl: _dropped, ...rest } = item;
      await doc.send(new PutCommand({ TableName: table, Item: { ...rest, pk: tenant } }));
      await doc.send(new DeleteCommand({ TableName: table, Key: { pk, sk: String(item.sk) } }));
      moved += 1;
    }
  }
  return moved;
}

/** Every item of the table (tests: where things are). */
export async function scanAll(
  doc: DynamoDBDocumentClient,
  table: string,
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return items;
}
