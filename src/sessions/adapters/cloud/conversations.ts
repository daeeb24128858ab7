import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { CONVERSATION_RETENTION_DAYS, DAY_MS, type Clock } from '../../../core/clock.js';
import { StorageError } from '../../../core/errors.js';
import { parseSessionId, type SessionId, type TenantId } from '../../../core/ids.js';
import { conversationKey, conversationKeyString, type ConversationKey } from '../../../core/keys.js';
import { parseApprovalId } from '../../../approvals/ids.js';
import type { ConversationMap, ConversationRecord } from '../../types.js';
import {
  call,
  isConditionalCheckFailed,
  isOwnWrite,
  newWriteId,
  notOwnWrite,
  translate,
} from '../../../aws/index.js';
import { parseSettingsChange, sessionTurns, settingsAfter, withSettings } from '../../settings.js';
import { batchGetAll } from '../../../aws/batch-get.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import { createConversationIndex } from './conversation-index.js';
import { conversationPk, conversationSk, type ConversationItem } from './schema.js';

const RETENTION_MS = CONVERSATION_RETENTION_DAYS * DAY_MS;
const MAX_ATTEMPTS = 10;

export interface ConversationDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
  /** Read (and keep writing) legacy items at `pk` = tenant too (default true; schema.ts). */
  legacy?: boolean;
  logger?: Logger;
}

type ItemKey = { pk: string; sk: string };

function toRecord(tenant: TenantId, item: Record<string, unknown>): ConversationRecord {
  const c = item as Partial<ConversationItem>;
  return {
    key: conversationKey({ tenant, chat: c.chat, thread: c.thread }),
    sessionId: parseSessionId(c.sessionId),
    createdAt: Number(c.createdAt),
    updatedAt: Number(c.updatedAt),
    expiresAt: Number(c.expiresAt),
    turns: Number(c.turns),
    ...(c.pendingApproval !== undefined ? { pendingApproval: parseApprovalId(c.pendingApproval) } : {}),
    ...(typeof c.model === 'string' ? { model: c.model } : {}),
    ...(typeof c.agent === 'string' ? { agent: c.agent } : {}),
  };
}

/**
 * The conversation map as one item per conversation in the conversation's own partition (listed
 * through a marker on the tenant's, `conversation-index.ts`). `ttl` (seconds) lets DynamoDB delete
 * it 25 days after the last turn; until it does, an expired item reads as absent and the next
 * `touch` starts it afresh. A legacy item (`pk` = tenant, earlier releases) is read and updated
 * where it is while legacy reads are on; new items go to the new key only.
 */
export function createCloudConversations(deps: ConversationDeps): ConversationMap {
  const { doc, table, clock } = deps;
  const legacy = deps.legacy ?? true;
  const logger = deps.logger ?? silentLogger;
  const source = 'sessions:cloud:conversations';
  const index = createConversationIndex({ doc, table, legacy });
  const keyOf = (key: ConversationKey): ItemKey => ({ pk: conversationPk(key), sk: conversationSk(key) });
  /** Where a conversation's item may be: its own key, then (legacy reads on) the tenant's. */
  const places = (key: ConversationKey): ItemKey[] =>
    legacy ? [keyOf(key), { pk: key.tenant, sk: conversationSk(key) }] : [keyOf(key)];

  const newItem = (
    key: ConversationKey,
    sessionId: string,
    now: number,
    expiresAt: number,
    ttl: number,
  ): ConversationItem => ({
    ...keyOf(key),
    kind: 'conversation',
    chat: key.chat,
    thread: key.thread,
    sessionId,
    createdAt: now,
    updatedAt: now,
    expiresAt,
    turns: 0,
    ttl,
  });

  /**
   * A live record is updated in place (`update`, conditional on being live); an absent or expired
   * one is replaced by `item` (conditional on still being so). Racing writers retry. Every write
   * of one call stores the same random `writeId`, and the update refuses to apply where it is
   * already stored: the client's retry of an attempt whose response was lost (or the update after
   * our own Put's lost response) would otherwise count a turn twice (`ADD turns`). It recognises
   * its own write instead (the item the failed condition found) and reads the record back.
   */
  async function upsert(
    key: ConversationKey,
    what: string,
    plan: (
      now: number,
      expiresAt: number,
      ttl: number,
    ) => {
      update: string;
      values: Record<string, unknown>;
      /** Attribute names beyond `#ttl` (`agent` is a DynamoDB reserved word). */
      names?: Record<string, string>;
      item: ConversationItem;
    },
  ): Promise<ConversationRecord> {
    const writeId = newWriteId();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = clock.now();
      const expiresAt = now + RETENTION_MS;
      const { update, values, names, item } = plan(now, expiresAt, Math.ceil(expiresAt / 1000));
      // A live item is updated where it lives (its own key first, then the legacy one).
      for (const at of places(key)) {
        try {
          const res = await doc.send(
            new UpdateCommand({
              TableName: table,
              Key: at,
              // Every plan's update starts with its SET clause.
              UpdateExpression: update.replace(/^SET /, 'SET #wid = :wid, '),
              ConditionExpression: `attribute_exists(pk) AND expiresAt > :now AND ${notOwnWrite('#wid', ':wid')}`,
              ExpressionAttributeNames: { '#ttl': 'ttl', '#wid': 'writeId', ...names },
              ExpressionAttributeValues: { ...values, ':wid': writeId },
              ReturnValues: 'ALL_NEW',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          );
          const written = res.Attributes ?? {};
          await refreshIndex(key, written, now);
          return toRecord(key.tenant, written);
        } catch (err) {
          if (isOwnWrite(err, 'writeId', writeId)) return readBack(key, at, what);
          if (!isConditionalCheckFailed(err))
            throw translate(source, `${what} ${conversationKeyString(key)}`, err);
        }
      }
      // None live: a new item at its own key, its marker first (a marker may outlive its item, never
      // the other way round).
      const created = { ...item, ...keyOf(key), writeId, indexTtl: index.ttlFor(item.ttl) };
      if (!(await index.put(key, created.indexTtl, now))) continue;
      try {
        await doc.send(
          new PutCommand({
            TableName: table,
            Item: created,
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        return toRecord(key.tenant, created as unknown as Record<string, unknown>);
      } catch (err) {
        if (!isConditionalCheckFailed(err))
          throw translate(source, `${what} ${conversationKeyString(key)}`, err);
      }
    }
    throw new StorageError(`[sessions:cloud] ${what} of ${conversationKeyString(key)} kept conflicting`, {
      code: 'storage_contention',
    });
  }

  /** The marker refresh after a write (best effort: a failure is retried by the next write). */
  async function refreshIndex(key: ConversationKey, written: Record<string, unknown>, now: number) {
    await index.refresh(key, written, now).catch((err: unknown) => {
      logger.warn('[sessions:cloud] could not refresh a conversation marker (the next write retries)', {
        conversation: conversationKeyString(key),
        err,
      });
    });
  }

  /** The record as our own write left it at `at` (found after a lost response). */
  async function readBack(key: ConversationKey, at: ItemKey, what: string): Promise<ConversationRecord> {
    const res = await call(source, `${what} ${conversationKeyString(key)} (read back)`, () =>
      doc.send(new GetCommand({ TableName: table, Key: at, ConsistentRead: true })),
    );
    return toRecord(key.tenant, res.Item ?? {});
  }

  /** The stored item (strongly consistent): at its own key, else at the legacy one (one BatchGetItem). */
  async function read(key: ConversationKey): Promise<Record<string, unknown> | undefined> {
    const own = keyOf(key);
    if (!legacy) {
      const res = await call(source, `GetItem ${conversationKeyString(key)}`, () =>
        doc.send(new GetCommand({ TableName: table, Key: own, ConsistentRead: true })),
      );
      return res.Item;
    }
    const items = await batchGetAll({ doc, table, keys: places(key), source, what: 'conversations' });
    return items.find((i) => i.pk === own.pk) ?? items.find((i) => i.kind === 'conversation');
  }

  return {
    async get(key) {
      const item = await read(key);
      if (!item || Number(item.expiresAt) <= clock.now()) return null;
      return toRecord(key.tenant, item);
    },

    async touch(key, sessionId: SessionId, options) {
      const pending =
        options?.pendingApproval === undefined ? undefined : parseApprovalId(options.pendingApproval);
      return upsert(key, 'touch', (now, expiresAt, ttl) => ({
        update:
          'SET sessionId = :sid, updatedAt = :now, expiresAt = :exp, #ttl = :ttl' +
          (pending !== undefined ? ', pendingApproval = :pa' : '') +
          ' ADD turns :one' +
          (pending === undefined ? ' REMOVE pendingApproval' : ''),
        values: {
          ':sid': sessionId,
          ':now': now,
          ':exp': expiresAt,
          ':ttl': ttl,
          ':one': 1,
          ...(pending !== undefined ? { ':pa': pending } : {}),
        },
        item: {
          ...newItem(key, sessionId, now, expiresAt, ttl),
          turns: 1,
          ...(pending !== undefined ? { pendingApproval: pending } : {}),
        },
      }));
    },

    async configure(key, change, newSessionId) {
      const valid = parseSettingsChange(change);
      const fresh = parseSessionId(newSessionId);
      return upsert(key, 'configure', (now, expiresAt, ttl) => {
        const set = ['updatedAt = :now', 'expiresAt = :exp', '#ttl = :ttl'];
        const remove: string[] = [];
        const values: Record<string, unknown> = { ':now': now, ':exp': expiresAt, ':ttl': ttl };
        const names: Record<string, string> = {};
        for (const field of ['model', 'agent'] as const) {
          const value = valid[field];
          if (value === undefined) continue;
          names[`#${field}`] = field;
          if (value === null) remove.push(`#${field}`);
          else {
            set.push(`#${field} = :${field}`);
            values[`:${field}`] = value;
          }
        }
        return {
          update: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          values,
          names,
          item: withSettings(
            { ...newItem(key, fresh, now, expiresAt, ttl), turns: 0 },
            settingsAfter(null, valid),
          ),
        };
      });
    },

    async switchTo(key, sessionId, turns) {
      const sid = parseSessionId(sessionId);
      const count = sessionTurns(turns);
      return upsert(key, 'switchTo', (now, expiresAt, ttl) => ({
        update:
          'SET sessionId = :sid, turns = :turns, updatedAt = :now, expiresAt = :exp, #ttl = :ttl REMOVE pendingApproval',
        values: { ':sid': sid, ':turns': count, ':now': now, ':exp': expiresAt, ':ttl': ttl },
        item: { ...newItem(key, sid, now, expiresAt, ttl), turns: count },
      }));
    },

    // Both keys: the item at its own, and at the tenant's its marker (or its legacy item).
    async remove(key) {
      const [own, atTenant] = await Promise.all(
        [keyOf(key), { pk: key.tenant, sk: conversationSk(key) }].map((at) =>
          call(source, `DeleteItem ${conversationKeyString(key)}`, () =>
            doc.send(new DeleteCommand({ TableName: table, Key: at, ReturnValues: 'ALL_OLD' })),
          ).then((res) => res.Attributes),
        ),
      );
      const old = own ?? (legacy && atTenant?.kind === 'conversation' ? atTenant : undefined);
      if (!old || Number(old.expiresAt) <= clock.now()) return null;
      return toRecord(key.tenant, old);
    },

    async list(tenant) {
      const now = clock.now();
      const items = await index.items(tenant);
      return items.filter((item) => Number(item.expiresAt) > now).map((item) => toRecord(tenant, item));
    },
  };
}
