import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DAY_MS, TURN_LEDGER_RETENTION_DAYS, type Clock } from '../../../core/clock.js';
import { parseRequestId, parseSessionId, type RequestId } from '../../../core/ids.js';
import { turnRecordId, type ConversationKey } from '../../../core/keys.js';
import type { TurnLedger, TurnRecord } from '../../types.js';
import { call, isConditionalCheckFailed, translate } from '../../../aws/index.js';
import { batchGetAll } from '../../../aws/batch-get.js';
import { conversationPk, turnSk, type TurnItem } from './schema.js';

const RETENTION_MS = TURN_LEDGER_RETENTION_DAYS * DAY_MS;

export interface TurnDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
  /** Read (and keep writing) legacy records at `pk` = tenant too (default true; schema.ts). */
  legacy?: boolean;
}

function toRecord(key: ConversationKey, item: Record<string, unknown>): TurnRecord {
  const t = item as Partial<TurnItem>;
  return {
    key,
    requestId: parseRequestId(t.requestId),
    state: t.state === 'done' ? 'done' : 'started',
    sessionId: parseSessionId(t.sessionId),
    entriesBefore: Number(t.entriesBefore),
    turnsBefore: Number(t.turnsBefore),
    startedAt: Number(t.startedAt),
    ...(typeof t.completedAt === 'number' ? { completedAt: t.completedAt } : {}),
    ...(typeof t.result === 'string' ? { result: t.result } : {}),
    delivered: t.delivered === true,
    expiresAt: Number(t.expiresAt),
  };
}

/**
 * The turn ledger as one item per (conversation, request id) in the conversation's partition
 * (`pk` = `<tenant>#c#<chat>:<thread>`, `sk` = `turn#<tenant>:<chat>:<thread>#<requestId>`). `ttl`
 * (seconds) lets DynamoDB delete it 7 days after the last write; until then an expired item reads
 * as absent. Updates are conditional on a live record, so they never resurrect an expired one. A
 * record an earlier release wrote under `pk` = tenant is read and updated there while legacy reads
 * are on; `begin` always writes the new key.
 */
export function createCloudTurns(deps: TurnDeps): TurnLedger {
  const { doc, table, clock } = deps;
  const legacy = deps.legacy ?? true;
  const source = 'sessions:cloud:turns';
  const keyOf = (key: ConversationKey, requestId: RequestId) => ({
    pk: conversationPk(key),
    sk: turnSk(key, requestId),
  });
  /** Where a record may be: its own key, then (legacy reads on) the tenant's. */
  const places = (key: ConversationKey, requestId: RequestId) =>
    legacy
      ? [keyOf(key, requestId), { pk: key.tenant, sk: turnSk(key, requestId) }]
      : [keyOf(key, requestId)];

  /** One conditional update of a live record where it lives; `null` when the condition failed everywhere. */
  async function update(
    key: ConversationKey,
    requestId: RequestId,
    op: string,
    input: {
      set: string;
      condition?: string;
      names: Record<string, string>;
      values: Record<string, unknown>;
    },
  ): Promise<Record<string, unknown> | null> {
    for (const at of places(key, requestId)) {
      try {
        const res = await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: at,
            UpdateExpression: input.set,
            ConditionExpression: `attribute_exists(pk) AND expiresAt > :now${input.condition ? ` AND ${input.condition}` : ''}`,
            ExpressionAttributeNames: input.names,
            ExpressionAttributeValues: { ':now': clock.now(), ...input.values },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return res.Attributes ?? null;
      } catch (err) {
        if (!isConditionalCheckFailed(err))
          throw translate(source, `${op} ${turnRecordId(key, requestId)}`, err);
      }
    }
    return null;
  }

  return {
    async get(key, requestId) {
      const own = keyOf(key, requestId);
      let item: Record<string, unknown> | undefined;
      if (legacy) {
        const what = 'turn records';
        const items = await batchGetAll({ doc, table, keys: places(key, requestId), source, what });
        item = items.find((i) => i.pk === own.pk) ?? items.find((i) => i.kind === 'turn');
      } else {
        const res = await call(source, `GetItem ${turnRecordId(key, requestId)}`, () =>
          doc.send(new GetCommand({ TableName: table, Key: own, ConsistentRead: true })),
        );
        item = res.Item;
      }
      if (!item || Number(item.expiresAt) <= clock.now()) return null;
      return toRecord(key, item);
    },

    async begin(key, requestId, start) {
      const now = clock.now();
      const expiresAt = now + RETENTION_MS;
      const item: TurnItem = {
        ...keyOf(key, requestId),
        kind: 'turn',
        requestId: parseRequestId(requestId),
        state: 'started',
        sessionId: parseSessionId(start.sessionId),
        entriesBefore: start.entriesBefore,
        turnsBefore: start.turnsBefore,
        startedAt: now,
        delivered: false,
        expiresAt,
        ttl: Math.ceil(expiresAt / 1000),
      };
      await call(source, `PutItem ${turnRecordId(key, requestId)}`, () =>
        doc.send(new PutCommand({ TableName: table, Item: item })),
      );
      return toRecord(key, item as unknown as Record<string, unknown>);
    },

    async complete(key, requestId, result) {
      const now = clock.now();
      const expiresAt = now + RETENTION_MS;
      const item = await update(key, requestId, 'complete', {
        set: 'SET #state = :done, #result = :result, completedAt = :now, expiresAt = :exp, #ttl = :ttl',
        names: { '#state': 'state', '#result': 'result', '#ttl': 'ttl' },
        values: {
          ':done': 'done',
          ':result': result,
          ':exp': expiresAt,
          ':ttl': Math.ceil(expiresAt / 1000),
        },
      });
      return item ? toRecord(key, item) : null;
    },

    async markDelivered(key, requestId) {
      const item = await update(key, requestId, 'markDelivered', {
        set: 'SET delivered = :true',
        condition: '#state = :done',
        names: { '#state': 'state' },
        values: { ':true': true, ':done': 'done' },
      });
      return item !== null;
    },
  };
}
