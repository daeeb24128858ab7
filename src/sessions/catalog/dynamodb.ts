import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/clock.js';
import { StorageError } from '../../core/errors.js';
import { parseSessionId, parseTenantId, type SessionId, type TenantId } from '../../core/ids.js';
import {
  conversationKey,
  conversationKeyString,
  sameConversation,
  type ConversationKey,
} from '../../core/keys.js';
import { call, isConditionalCheckFailed, translate } from '../../aws/index.js';
import { queryPrefix } from '../adapters/cloud/prefix-query.js';
import type { SessionCatalog, SessionFilter, SessionInfo } from '../types.js';
import {
  catalogEntry,
  catalogKey,
  catalogQuery,
  isKept,
  keepUntil,
  newestFirst,
  sessionConflict,
  sessionExists,
  sessionTitle,
  turnCost,
  withTurn,
  historyUntil,
} from './rules.js';

/**
 * The session catalog in the sessions table, one item per session in the tenant's partition:
 * `sk` = `sess#<tenant>:<chat>:<thread>#<session>`, so one Query lists a conversation's (or a
 * chat's, or the tenant's) sessions. A turn is one conditional `UpdateItem`; `ttl` (seconds) is
 * `keepUntil`. Finding a session by id alone (`get`) queries the tenant's `sess#` items (operator
 * commands; `/sessions` and the API know the conversation). An empty title is stored as no
 * `title` attribute, so the first turn that has a question sets it (`if_not_exists`).
 */
export const SESSION_PREFIX = 'sess#';
const SOURCE = 'sessions:cloud:catalog';
const MAX_ATTEMPTS = 5;

interface SessionItem {
  pk: string;
  sk: string;
  kind: 'session';
  chat: string;
  thread: string;
  sessionId: string;
  createdAt: number;
  updatedAt: number;
  turns: number;
  title?: string;
  costUsd: number;
  model?: string;
  origin: 'turn' | 'import';
  historyUntil: number;
  keepUntil: number;
  ttl: number;
}

export function sessionSk(key: ConversationKey, sessionId: string): string {
  return `${SESSION_PREFIX}${conversationKeyString(key)}#${sessionId}`;
}

function toItem(info: SessionInfo): SessionItem {
  const keep = keepUntil(info);
  return {
    pk: info.key.tenant,
    sk: sessionSk(info.key, info.sessionId),
    kind: 'session',
    chat: info.key.chat,
    thread: info.key.thread,
    sessionId: info.sessionId,
    createdAt: info.createdAt,
    updatedAt: info.updatedAt,
    turns: info.turns,
    ...(info.title !== '' ? { title: info.title } : {}),
    costUsd: info.costUsd,
    ...(info.model !== null ? { model: info.model } : {}),
    origin: info.origin,
    historyUntil: info.historyUntil,
    keepUntil: keep,
    ttl: Math.ceil(keep / 1000),
  };
}

function toInfo(tenant: TenantId, raw: Record<string, unknown>): SessionInfo {
  const item = raw as Partial<SessionItem>;
  return {
    key: conversationKey({ tenant, chat: item.chat, thread: item.thread }),
    sessionId: parseSessionId(item.sessionId),
    createdAt: Number(item.createdAt),
    updatedAt: Number(item.updatedAt),
    turns: Number(item.turns),
    title: typeof item.title === 'string' ? item.title : '',
    costUsd: Number(item.costUsd ?? 0),
    model: typeof item.model === 'string' ? item.model : null,
    origin: item.origin === 'import' ? 'import' : 'turn',
    historyUntil: Number(item.historyUntil),
  };
}

export function createDynamoSessionCatalog(deps: {
  doc: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
}): SessionCatalog {
  const { doc, table, clock } = deps;
  const now = () => Math.floor(clock.now());

  /** Every kept entry of the tenant under `prefix` (all pages). */
  async function query(tenant: TenantId, prefix: string): Promise<SessionInfo[]> {
    const t = now();
    const items = await queryPrefix({ doc, table }, SOURCE, tenant, prefix);
    return items.filter((item) => Number(item.keepUntil) > t).map((item) => toInfo(tenant, item));
  }

  async function find(tenant: TenantId, sessionId: SessionId): Promise<SessionInfo | null> {
    const found = await query(tenant, SESSION_PREFIX);
    return found.find((info) => info.sessionId === sessionId) ?? null;
  }

  return {
    async recordTurn(key, sessionId, turn) {
      const k = catalogKey(key);
      const id = parseSessionId(sessionId);
      const Key = { pk: k.tenant, sk: sessionSk(k, id) };
      const title = sessionTitle(turn.title);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const at = Math.floor(turn.at);
        const until = historyUntil(at);
        const keep = keepUntil({ historyUntil: until });
        try {
          // A kept entry: add the turn.
          const res = await doc.send(
            new UpdateCommand({
              TableName: table,
              Key,
              UpdateExpression:
                'SET updatedAt = :at, historyUntil = :hu, keepUntil = :keep, #ttl = :ttl' +
                (turn.model !== null ? ', #model = :model' : '') +
                (title !== '' ? ', #title = if_not_exists(#title, :title)' : '') +
                ' ADD turns :one, costUsd :cost',
              ConditionExpression: 'attribute_exists(pk) AND keepUntil > :now',
              ExpressionAttributeNames: {
                '#ttl': 'ttl',
                ...(turn.model !== null ? { '#model': 'model' } : {}),
                ...(title !== '' ? { '#title': 'title' } : {}),
              },
              ExpressionAttributeValues: {
                ':at': at,
                ':hu': until,
                ':keep': keep,
                ':ttl': Math.ceil(keep / 1000),
                ':one': 1,
                ':cost': turnCost(turn.costUsd),
                ':now': now(),
                ...(turn.model !== null ? { ':model': turn.model } : {}),
                ...(title !== '' ? { ':title': title } : {}),
              },
              ReturnValues: 'ALL_NEW',
            }),
          );
          return toInfo(k.tenant, res.Attributes ?? {});
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `recordTurn ${id}`, err);
        }
        // Absent or no longer kept here: a new entry, unless the id is another conversation's (its
        // item has another sort key, so only a lookup by id finds it) or a concurrent turn made one.
        const elsewhere = await find(k.tenant, id);
        if (elsewhere && !sameConversation(elsewhere.key, k)) throw sessionConflict(id, elsewhere.key, k);
        const fresh = withTurn(null, k, id, turn);
        try {
          await doc.send(
            new PutCommand({
              TableName: table,
              Item: toItem(fresh),
              ConditionExpression: 'attribute_not_exists(pk) OR keepUntil <= :now',
              ExpressionAttributeValues: { ':now': now() },
            }),
          );
          return fresh;
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `recordTurn ${id}`, err);
        }
      }
      throw new StorageError(`[sessions:cloud] recording a turn of session ${id} kept conflicting`, {
        code: 'storage_contention',
      });
    },

    async create(info) {
      const entry = catalogEntry(info);
      const id = entry.sessionId;
      if (await find(entry.key.tenant, id)) throw sessionExists(id);
      try {
        await doc.send(
          new PutCommand({
            TableName: table,
            Item: toItem(entry),
            ConditionExpression: 'attribute_not_exists(pk) OR keepUntil <= :now',
            ExpressionAttributeValues: { ':now': now() },
          }),
        );
      } catch (err) {
        if (isConditionalCheckFailed(err)) throw sessionExists(id);
        throw translate(SOURCE, `create ${id}`, err);
      }
    },

    async get(tenant, sessionId) {
      return find(parseTenantId(tenant), parseSessionId(sessionId));
    },

    async list(tenant, filter?: SessionFilter) {
      const t = parseTenantId(tenant);
      const { chat, thread, limit } = catalogQuery(filter);
      // Every prefix ends at a separator, so chat `1` never lists chat `12` nor thread `main` `main2`.
      const prefix =
        chat === undefined
          ? `${SESSION_PREFIX}${t}:`
          : thread === undefined
            ? `${SESSION_PREFIX}${t}:${chat}:`
            : `${SESSION_PREFIX}${conversationKeyString({ tenant: t, chat, thread })}#`;
      return (await query(t, prefix)).sort(newestFirst).slice(0, limit);
    },

    async remove(tenant, sessionId) {
      const t = parseTenantId(tenant);
      const found = await find(t, parseSessionId(sessionId));
      if (!found) return null;
      const res = await call(SOURCE, `DeleteItem ${found.sessionId}`, () =>
        doc.send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: t, sk: sessionSk(found.key, found.sessionId) },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      if (!res.Attributes) return null;
      const removed = toInfo(t, res.Attributes);
      return isKept(removed, now()) ? removed : null;
    },
  };
}

/** One session's entry read directly by its conversation (tests' raw checks). */
export async function readSessionItem(
  deps: { doc: DynamoDBDocumentClient; table: string },
  key: ConversationKey,
  sessionId: string,
): Promise<Record<string, unknown> | undefined> {
  const res = await deps.doc.send(
    new GetCommand({
      TableName: deps.table,
      Key: { pk: key.tenant, sk: sessionSk(key, sessionId) },
      ConsistentRead: true,
    }),
  );
  return res.Item;
}
