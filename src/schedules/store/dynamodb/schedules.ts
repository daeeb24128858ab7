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
  translate,
} from '../../../aws/index.js';
import { StorageError } from '../../../core/errors.js';
import { parseTenantId } from '../../../core/ids.js';
import { queryPrefix } from '../../../sessions/adapters/cloud/prefix-query.js';
import { ScheduleConflictError, ScheduleLimitError } from '../../errors.js';
import { MAX_SCHEDULES_PER_TENANT, type ScheduleRecord, type ScheduleStore } from '../../types.js';
import {
  assertDueAt,
  assertExpectedVersion,
  assertScheduleAddress,
  assertScheduleRecord,
  assertTopic,
} from '../validate.js';
import {
  SCHEDULE_INDEX_SK,
  SCHEDULE_PREFIX,
  SOURCE,
  scheduleAttributes,
  scheduleSk,
  toRecord,
} from './schema.js';

export interface DynamoScheduleStoreOptions {
  doc: DynamoDBDocumentClient;
  /** The sessions' table (`tableDefinition` of sessions/adapters/cloud/schema.ts). */
  table: string;
}

const MAX_ATTEMPTS = 8;
const OPTIONAL = ['model', 'agent'] as const;
const BOOKKEEPING = ['topic', 'lastDueAt'] as const;

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

const conflict = (name: string, current: number, expected: number) =>
  new ScheduleConflictError(`[${SOURCE}] ${name} is at version ${current}, not ${expected}`);

const backoff = (attempt: number) =>
  new Promise((done) => setTimeout(done, 5 + Math.random() * 20 * (attempt + 1)));

/**
 * Schedules as items of the sessions' table (layout: `schema.ts`). A replace is one conditional
 * UpdateItem (`version`, and `topic`/`lastDueAt` untouched unless given); a create and a remove are
 * one TransactWriteItems with the tenant's index item, which carries the per-tenant limit;
 * `setTopic` and `markDue` are one conditional UpdateItem each; `list` one Query (all pages).
 */
export function createDynamoScheduleStore(options: DynamoScheduleStoreOptions): ScheduleStore {
  const { doc, table } = options;
  const indexKey = (tenant: string) => ({ pk: tenant, sk: SCHEDULE_INDEX_SK });

  /** Replaces an existing record; `null` when there is none. */
  async function replace(
    record: ScheduleRecord,
    expected: number | undefined,
  ): Promise<ScheduleRecord | null> {
    const attrs = scheduleAttributes(record);
    for (const field of BOOKKEEPING) if (record[field] !== undefined) attrs[field] = record[field];
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':one': 1 };
    const sets = Object.entries(attrs).map(([k, v]) => {
      names[`#${k}`] = k;
      values[`:${k}`] = v;
      return `#${k} = :${k}`;
    });
    const removes = OPTIONAL.filter((k) => record[k] === undefined).map((k) => {
      names[`#${k}`] = k;
      return `#${k}`;
    });
    let condition = 'attribute_exists(sk)';
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
      const found = conditionFailedItem(err);
      if (!found) return null;
      throw conflict(record.name, foundVersion(found), expected ?? 0);
    }
  }

  /** Creates a record; `'exists'` (with the version found) when another is there. */
  async function create(record: ScheduleRecord): Promise<ScheduleRecord | { exists: number } | 'retry'> {
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
        throw new ScheduleLimitError(
          `[${SOURCE}] a tenant has at most ${MAX_SCHEDULES_PER_TENANT} schedules`,
        );
      }
      // A concurrent transaction on the tenant's index item (AWS cancels rather than waits).
      if (codes?.includes('TransactionConflict')) return 'retry';
      throw translate(SOURCE, `create ${sk}`, err);
    }
  }

  return {
    async list(tenant) {
      const items = await queryPrefix({ doc, table }, SOURCE, parseTenantId(tenant), SCHEDULE_PREFIX);
      return items.map((item) => toRecord(tenant, item));
    },

    async get(tenant, name) {
      assertScheduleAddress(tenant, name);
      const sk = scheduleSk(name);
      const res = await call(SOURCE, `GetItem ${sk}`, () =>
        doc.send(new GetCommand({ TableName: table, Key: { pk: tenant, sk }, ConsistentRead: true })),
      );
      return res.Item ? toRecord(tenant, res.Item) : null;
    },

    async put(record, expectedVersion) {
      assertScheduleRecord(record);
      assertExpectedVersion(expectedVersion);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (expectedVersion !== 0) {
          const replaced = await replace(record, expectedVersion);
          if (replaced) return replaced;
          if (expectedVersion !== undefined) throw conflict(record.name, 0, expectedVersion);
        }
        const created = await create(record);
        if (created === 'retry') {
          await backoff(attempt);
          continue;
        }
        if (!('exists' in created)) return created;
        // Created by someone else in between: a create-only put lost; any other replaces it.
        if (expectedVersion === 0) throw conflict(record.name, created.exists, 0);
      }
      throw new StorageError(`[${SOURCE}] put of ${record.tenant}/${record.name} kept conflicting`, {
        code: 'storage_contention',
      });
    },

    async remove(tenant, name) {
      assertScheduleAddress(tenant, name);
      const sk = scheduleSk(name);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
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
          if (codes?.[0] === 'ConditionalCheckFailed') return false;
          if (!codes?.includes('TransactionConflict')) throw translate(SOURCE, `remove ${sk}`, err);
          await backoff(attempt);
        }
      }
      throw new StorageError(`[${SOURCE}] remove of ${tenant}/${name} kept conflicting`, {
        code: 'storage_contention',
      });
    },

    async setTopic(tenant, name, topic) {
      assertScheduleAddress(tenant, name);
      assertTopic(topic);
      const sk = scheduleSk(name);
      try {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: tenant, sk },
            UpdateExpression: 'SET topic = :topic',
            ConditionExpression: 'attribute_exists(sk) AND attribute_not_exists(topic)',
            ExpressionAttributeValues: { ':topic': topic },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return topic;
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `setTopic ${sk}`, err);
        const found = conditionFailedItem(err);
        if (!found) return null;
        const stored = Number(found.topic?.N);
        if (!Number.isSafeInteger(stored))
          throw new StorageError(`[${SOURCE}] ${sk} has an unreadable topic`, { code: 'storage_corrupt' });
        return stored;
      }
    },

    async markDue(tenant, name, dueAt) {
      assertScheduleAddress(tenant, name);
      assertDueAt(dueAt);
      const sk = scheduleSk(name);
      try {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: tenant, sk },
            UpdateExpression: 'SET lastDueAt = :due',
            ConditionExpression:
              'attribute_exists(sk) AND (attribute_not_exists(lastDueAt) OR lastDueAt < :due)',
            ExpressionAttributeValues: { ':due': dueAt },
          }),
        );
      } catch (err) {
        // Unknown schedule, or already at or past `dueAt`: nothing to do.
        if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `markDue ${sk}`, err);
      }
    },
  };
}
