import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemSize } from '../../src/sessions/adapters/cloud/item-size.js';

/** Writes and AWS write units attributed to one partition key. */
export interface PartitionWrites {
  /** Item writes (each item of a transaction or batch counts once; failed conditional writes too). */
  writes: number;
  /** Write units as AWS bills them (see `countWriteUnits`). */
  units: number;
}

export interface WriteUnitCounter {
  readonly byPk: Map<string, PartitionWrites>;
  /** Forget what was counted so far. */
  reset(): void;
  /** Units summed over every key. */
  total(): number;
}

type Key = { pk: string; sk: string };
type Write = { key: Key; item?: Record<string, unknown> };

const text = (v: unknown): string =>
  typeof v === 'string' ? v : String((v as { S?: unknown } | undefined)?.S ?? '');
const keyOf = (k: unknown): Key => {
  const r = k as Record<string, unknown>;
  return { pk: text(r.pk), sk: text(r.sk) };
};

/** The items a write request touches, and whether it is a transaction (billed twice). */
function writesOf(command: string, input: Record<string, unknown>): { writes: Write[]; tx: boolean } {
  const item = (i: unknown): Write => ({ key: keyOf(i), item: i as Record<string, unknown> });
  switch (command) {
    case 'PutItemCommand':
      return { writes: [item(input.Item)], tx: false };
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
      return { writes: [{ key: keyOf(input.Key) }], tx: false };
    case 'TransactWriteItemsCommand': {
      const list = (input.TransactItems ?? []) as Array<Record<string, { Item?: unknown; Key?: unknown }>>;
      return {
        writes: list.map((t) => {
          const op = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
          return op?.Item ? item(op.Item) : { key: keyOf(op?.Key) };
        }),
        tx: true,
      };
    }
    case 'BatchWriteItemCommand': {
      const tables = Object.values((input.RequestItems ?? {}) as Record<string, unknown[]>);
      const reqs = tables.flat() as Array<{
        PutRequest?: { Item: unknown };
        DeleteRequest?: { Key: unknown };
      }>;
      return {
        writes: reqs.map((r) =>
          r.PutRequest ? item(r.PutRequest.Item) : { key: keyOf(r.DeleteRequest?.Key) },
        ),
        tx: false,
      };
    }
    default:
      return { writes: [], tx: false };
  }
}

/**
 * Attributes every write request `client` sends to the partition key(s) it touches, in AWS write
 * units: per item ⌈max(size before, size after) / 1 KB⌉ (at least 1, failed conditional writes
 * included), ×2 inside `TransactWriteItems` (DynamoDB's billing rules; DynamoDB Local itself
 * reports transactions at twice AWS's rate and per table only, so its figures are not used).
 * Sizes are read around each request with `reader` (a client without this middleware).
 */
export function countWriteUnits(
  client: DynamoDBClient,
  reader: DynamoDBDocumentClient,
  table: string,
): WriteUnitCounter {
  const byPk = new Map<string, PartitionWrites>();
  const sizeOf = async (key: Key): Promise<number> => {
    const res = await reader.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return res.Item ? itemSize(res.Item) : 0;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const { writes, tx } = writesOf(String(context.commandName), args.input as Record<string, unknown>);
      if (writes.length === 0) return next(args);
      const before = await Promise.all(writes.map((w) => sizeOf(w.key)));
      try {
        return await next(args);
      } finally {
        const after = await Promise.all(writes.map((w) => sizeOf(w.key)));
        writes.forEach((w, i) => {
          const bytes = Math.max(before[i]!, after[i]!, w.item ? itemSize(w.item) : 0);
          const units = Math.max(1, Math.ceil(bytes / 1024)) * (tx ? 2 : 1);
          const entry = byPk.get(w.key.pk) ?? { writes: 0, units: 0 };
          entry.writes += 1;
          entry.units += units;
          byPk.set(w.key.pk, entry);
        });
      }
    },
    { step: 'initialize', name: 'countWriteUnits' },
  );
  return {
    byPk,
    reset: () => byPk.clear(),
    total: () => [...byPk.values()].reduce((n, e) => n + e.units, 0),
  };
}
