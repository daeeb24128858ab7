import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { call, conditionFailedItem, isConditionalCheckFailed, translate } from '../../../aws/index.js';
import { StorageError } from '../../../core/errors.js';
import { parseTenantId } from '../../../core/ids.js';
import { queryPrefix } from '../../../sessions/adapters/cloud/prefix-query.js';
import type { ScheduleStore } from '../../types.js';
import {
  assertDueAt,
  assertExpectedVersion,
  assertScheduleAddress,
  assertScheduleRecord,
  assertTopic,
} from '../validate.js';
import { SCHEDULE_PREFIX, SOURCE, scheduleSk, toRecord } from './schema.js';
import { conflict, createSchedule, removeSchedule, replaceSchedule } from './writes.js';

export interface DynamoScheduleStoreOptions {
  doc: DynamoDBDocumentClient;
  /** The sessions' table (`tableDefinition` of sessions/adapters/cloud/schema.ts). */
  table: string;
}

/** Creates and removes of one tenant touch its index item; AWS cancels concurrent ones (retried, jittered). */
const MAX_ATTEMPTS = 25;

const backoff = (attempt: number) =>
  new Promise((done) => setTimeout(done, 5 + Math.random() * Math.min(250, 20 * (attempt + 1))));

/**
 * Schedules as items of the sessions' table (layout: `schema.ts`, conditional writes: `writes.ts`).
 * `put` replaces with one conditional UpdateItem, or creates with one TransactWriteItems (with the
 * tenant's index item, which carries the per-tenant limit) when there is nothing to replace;
 * `setTopic` and `markDue` are one conditional UpdateItem each; `list` one Query (all pages).
 */
export function createDynamoScheduleStore(options: DynamoScheduleStoreOptions): ScheduleStore {
  const { doc, table } = options;
  const deps = { doc, table };

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
          const replaced = await replaceSchedule(deps, record, expectedVersion);
          if (replaced) return replaced;
          if (expectedVersion !== undefined) throw conflict(record.name, 0, expectedVersion);
        }
        const created = await createSchedule(deps, record);
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
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const removed = await removeSchedule(deps, tenant, name);
        if (removed !== 'retry') return removed;
        await backoff(attempt);
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
