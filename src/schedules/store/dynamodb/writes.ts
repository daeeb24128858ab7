import {
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  call,
  cancellationCodes,
  conditionFailedItem,
  isConditionalCheckFailed,
  isOwnWrite,
  newWriteId,
  notOwnWrite,
  translate,
} from '../../../aws/index.js';
import type { TenantId } from '../../../core/ids.js';
import { ScheduleConflictError, ScheduleLimitError } from '../../errors.js';
import { MAX_SCHEDULES_PER_TENANT, type ScheduleName, type ScheduleRecord } from '../../types.js';
import { SCHEDULE_INDEX_SK, SOURCE, scheduleAttributes, scheduleSk, toRecord } from './schema.js';

/**
 * The conditional writes of a schedule, one request each (the caller loops): a replace is one
 * UpdateItem conditional on `version`; a create and a remove are one TransactWriteItems with the
 * tenant's index item (`schedidx`, the set of its names), whose `size(names) < 100` is the limit.
 */

/** The client and the sessions' table the writes go to. */
export interface ScheduleTable {
  doc: DynamoDBDocumentClient;
  table: string;
}

const OPTIONAL = ['model', 'agent'] as const;
const BOOKKEEPING = ['topic', 'lastDueAt'] as const;
const indexKey = (tenant: string) => ({ pk: tenant, sk: SCHEDULE_INDEX_SK });

/** The version a failed condition found (`ALL_OLD`), 0 when the item was absent. */
function foundVersion(item: Record<string, { N?: string } | undefined> | undefined): number {
  return item?.version?.N !== undefined ? Number(item.version.N) : 0;
}

/** The item a cancelled transaction's first action found (its `ReturnValuesOnConditionCheckFailure`). */
function cancelledItem(err: unknown): Record<string, { N?: string } | undefined> | undefined {
  const reasons = (err as { CancellationReasons?: Array<{ Item?: unknown } | undefined> })
    .CancellationReasons;
  const item = reasons?.[0]?.Item;
  return typeof item === 'object' && item !== null ? (item as Record<string, { N?: string }>) : undefined;
}

export const conflict = (name: string, current: number, expected: number) =>
  new ScheduleConflictError(`[${SOURCE}] ${name} is at version ${current}, not ${expected}`);

/**
 * Replaces an existing record; `null` when there is none. The update stores a random `writeId` and
 * refuses to apply where it is stored already: the client's retry of an attempt whose response was
 * lost would otherwise add to `version` twice, or fail `version = expected` on our own write and
 * report a conflict. It recognises its own write (the item the failed condition found) instead.
 */
export async function replaceSchedule(
  { doc, table }: ScheduleTable,
  record: ScheduleRecord,
  expected: number | undefined,
): Promise<ScheduleRecord | null> {
  const attrs = scheduleAttributes(record);
  for (const field of BOOKKEEPING) if (record[field] !== undefined) attrs[field] = record[field];
  const writeId = newWriteId();
  const names: Record<string, string> = { '#version': 'version', '#wid': 'writeId' };
  const values: Record<string, unknown> = { ':one': 1, ':wid': writeId };
  const sets = Object.entries(attrs).map(([k, v]) => {
    names[`#${k}`] = k;
    values[`:${k}`] = v;
    return `#${k} = :${k}`;
  });
  const removes = OPTIONAL.filter((k) => record[k] === undefined).map((k) => {
    names[`#${k}`] = k;
    return `#${k}`;
  });
  sets.push('#wid = :wid');
  let condition = `attribute_exists(sk) AND ${notOwnWrite('#wid', ':wid')}`;
  if (expected !== undefined) {
    condition += ' AND #version = :expected';
    values[':expected'] = expected;
  }
  const sk = scheduleSk(record.name);
  try {
    const out = await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: record.tenant, sk },
        UpdateExpression: `SET ${sets.join(', ')} ADD #version :one${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return toRecord(record.tenant, out.Attributes ?? {});
  } catch (err) {
    if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `put ${sk}`, err);
    if (isOwnWrite(err, 'writeId', writeId)) {
      const mine = await call(SOURCE, `put ${sk} (read back)`, () =>
        doc.send(new GetCommand({ TableName: table, Key: { pk: record.tenant, sk }, ConsistentRead: true })),
      );
      if (mine.Item) return toRecord(record.tenant, mine.Item);
    }
    const found = conditionFailedItem(err);
    if (!found) return null;
    throw conflict(record.name, foundVersion(found), expected ?? 0);
  }
}

/**
 * Creates a record and adds its name to the tenant's index, in one transaction; `{ exists }` (the
 * version found) when a record is there, `'retry'` when AWS cancelled it for a concurrent one.
 */
export async function createSchedule(
  { doc, table }: ScheduleTable,
  record: ScheduleRecord,
): Promise<ScheduleRecord | { exists: number } | 'retry'> {
  const sk = scheduleSk(record.name);
  const item: Record<string, unknown> = {
    pk: record.tenant,
    sk,
    kind: 'schedule',
    ...scheduleAttributes(record),
    version: 1,
  };
  for (const field of BOOKKEEPING) if (record[field] !== undefined) item[field] = record[field];
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: item,
              ConditionExpression: 'attribute_not_exists(sk)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Update: {
              TableName: table,
              Key: indexKey(record.tenant),
              UpdateExpression: 'ADD #names :names',
              ConditionExpression:
                'attribute_not_exists(#names) OR size(#names) < :max OR contains(#names, :name)',
              ExpressionAttributeNames: { '#names': 'names' },
              ExpressionAttributeValues: {
                ':names': new Set([record.name]),
                ':max': MAX_SCHEDULES_PER_TENANT,
                ':name': record.name,
              },
            },
          },
        ],
      }),
    );
    return toRecord(record.tenant, item);
  } catch (err) {
    const codes = cancellationCodes(err);
    if (codes?.[0] === 'ConditionalCheckFailed') return { exists: foundVersion(cancelledItem(err)) };
    if (codes?.[1] === 'ConditionalCheckFailed') {
      throw new ScheduleLimitError(`[${SOURCE}] a tenant has at most ${MAX_SCHEDULES_PER_TENANT} schedules`);
    }
    // A concurrent transaction on the tenant's index item (AWS cancels rather than waits).
    if (codes?.includes('TransactionConflict')) return 'retry';
    throw translate(SOURCE, `create ${sk}`, err);
  }
}

/**
 * Deletes a record and its name from the tenant's index, in one transaction: `true` if it existed,
 * `false` if not, `'retry'` when AWS cancelled it for a concurrent one.
 */
export async function removeSchedule(
  { doc, table }: ScheduleTable,
  tenant: TenantId,
  name: ScheduleName,
): Promise<boolean | 'retry'> {
  const sk = scheduleSk(name);
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: table,
              Key: { pk: tenant, sk },
              ConditionExpression: 'attribute_exists(sk)',
            },
          },
          {
            Update: {
              TableName: table,
              Key: indexKey(tenant),
              UpdateExpression: 'DELETE #names :names',
              ExpressionAttributeNames: { '#names': 'names' },
              ExpressionAttributeValues: { ':names': new Set([name]) },
            },
          },
        ],
      }),
    );
    return true;
  } catch (err) {
    const codes = cancellationCodes(err);
    if (codes?.[0] === 'ConditionalCheckFailed') {
      await forgetName({ doc, table }, tenant, name);
      return false;
    }
    if (codes?.includes('TransactionConflict')) return 'retry';
    throw translate(SOURCE, `remove ${sk}`, err);
  }
}

/**
 * Takes a name without an item out of the index (an item deleted by hand would otherwise hold a
 * place of the limit): one UpdateItem, only if the name is there, so it never creates an item.
 */
async function forgetName(
  { doc, table }: ScheduleTable,
  tenant: TenantId,
  name: ScheduleName,
): Promise<void> {
  try {
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: indexKey(tenant),
        UpdateExpression: 'DELETE #names :names',
        ConditionExpression: 'contains(#names, :name)',
        ExpressionAttributeNames: { '#names': 'names' },
        ExpressionAttributeValues: { ':names': new Set([name]), ':name': name },
      }),
    );
  } catch (err) {
    if (!isConditionalCheckFailed(err))
      throw translate(SOURCE, `remove ${scheduleSk(name)} from the index`, err);
  }
}
