import {
  DeleteCommand,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DAY_MS, type Clock } from '../../core/clock.js';
import { StorageError } from '../../core/errors.js';
import { parseSessionId, parseTenantId, type SessionId, type TenantId } from '../../core/ids.js';
import {
  conversationKey,
  conversationKeyString,
  sameConversation,
  type ConversationKey,
} from '../../core/keys.js';
import {
  call,
  cancellationCodes,
  isConditionalCheckFailed,
  isOwnWrite,
  newWriteId,
  notOwnWrite,
  translate,
} from '../../aws/index.js';
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
 * `keepUntil`. A session's id item (`sessid#<session>`, written with the entry in one transaction
 * when it is created) names its conversation: `get`, `create` and `remove` by id are two reads, and
 * one id can never be catalogued under two conversations. An empty title is stored as no
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
  /** The last turn's random write id: its retry after a lost response recognises it. */
  writeId?: string;
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

/** The id item of a session: which conversation's entry holds it (`get` by id, one writer per id). */
export const SESSION_REF_PREFIX = 'sessid#';
/** How long an id item outlives the last refresh; refreshed when less than `REF_REFRESH_MS` is left. */
const REF_LIFE_MS = 400 * DAY_MS;
const REF_REFRESH_MS = 200 * DAY_MS;

export function sessionRefSk(sessionId: string): string {
  return `${SESSION_REF_PREFIX}${sessionId}`;
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

  /** The conversation the id item names, or `null` (no item, or expired). */
  async function readRef(tenant: TenantId, sessionId: SessionId): Promise<ConversationKey | null> {
    const res = await call(SOURCE, `GetItem ${sessionRefSk(sessionId)}`, () =>
      doc.send(
        new GetCommand({
          TableName: table,
          Key: { pk: tenant, sk: sessionRefSk(sessionId) },
          ConsistentRead: true,
        }),
      ),
    );
    const item = res.Item;
    if (!item || Number(item.ttl) * 1000 <= now()) return null;
    return conversationKey({ tenant, chat: item.chat, thread: item.thread });
  }

  /** The kept entry of `sessionId` in conversation `key`, or `null`. */
  async function entryAt(key: ConversationKey, sessionId: SessionId): Promise<SessionInfo | null> {
    const item = await readSessionItem({ doc, table }, key, sessionId);
    return item && Number(item.keepUntil) > now() ? toInfo(key.tenant, item) : null;
  }

  /** A session by id: its id item, then its entry (two reads, never a query of the tenant). */
  async function locate(tenant: TenantId, sessionId: SessionId): Promise<SessionInfo | null> {
    const ref = await readRef(tenant, sessionId);
    return ref ? entryAt(ref, sessionId) : null;
  }

  const refItem = (key: ConversationKey, sessionId: string, refUntil: number) => ({
    pk: key.tenant,
    sk: sessionRefSk(sessionId),
    kind: 'session-ref',
    chat: key.chat,
    thread: key.thread,
    ttl: Math.ceil(refUntil / 1000),
  });

  /**
   * A new entry and its id item in one transaction: the entry only where none is kept, the id item
   * only where it is absent or names this conversation (`previous`: or names that conversation, whose
   * entry was found gone). Resolves `'entry'` when a kept entry won the race, `'ref'` when the id
   * item names another conversation.
   */
  async function putNew(
    info: SessionInfo,
    previous?: ConversationKey,
    writeId?: string,
  ): Promise<'ok' | 'entry' | 'ref'> {
    const refUntil = now() + REF_LIFE_MS;
    const owner = previous ?? info.key;
    try {
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: table,
                Item: { ...toItem(info), refUntil, ...(writeId !== undefined ? { writeId } : {}) },
                ConditionExpression: 'attribute_not_exists(pk) OR keepUntil <= :now',
                ExpressionAttributeValues: { ':now': now() },
              },
            },
            {
              Put: {
                TableName: table,
                Item: refItem(info.key, info.sessionId, refUntil),
                ConditionExpression: 'attribute_not_exists(pk) OR (#chat = :chat AND #thread = :thread)',
                ExpressionAttributeNames: { '#chat': 'chat', '#thread': 'thread' },
                ExpressionAttributeValues: { ':chat': owner.chat, ':thread': owner.thread },
              },
            },
          ],
        }),
      );
      return 'ok';
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes?.[0] === 'ConditionalCheckFailed') return 'entry';
      if (codes?.[1] === 'ConditionalCheckFailed') return 'ref';
      throw translate(SOURCE, `create ${info.sessionId}`, err);
    }
  }

  /**
   * The id item names another conversation: a conflict while that conversation's entry is kept;
   * otherwise the stale item is what `putNew` may replace (returned).
   */
  async function staleRef(key: ConversationKey, sessionId: SessionId): Promise<ConversationKey> {
    const ref = await readRef(key.tenant, sessionId);
    if (ref && !sameConversation(ref, key) && (await entryAt(ref, sessionId))) {
      throw sessionConflict(sessionId, ref, key);
    }
    return ref ?? key;
  }

  /** Re-writes the id item of a long-lived session before it expires (once per ~200 days). */
  async function refreshRef(key: ConversationKey, sessionId: SessionId): Promise<void> {
    const refUntil = now() + REF_LIFE_MS;
    await call(SOURCE, `refresh ${sessionRefSk(sessionId)}`, () =>
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: refItem(key, sessionId, refUntil) } },
            {
              Update: {
                TableName: table,
                Key: { pk: key.tenant, sk: sessionSk(key, sessionId) },
                UpdateExpression: 'SET refUntil = :ru',
                ExpressionAttributeValues: { ':ru': refUntil },
              },
            },
          ],
        }),
      ),
    );
  }

  return {
    async recordTurn(key, sessionId, turn) {
      const k = catalogKey(key);
      const id = parseSessionId(sessionId);
      const Key = { pk: k.tenant, sk: sessionSk(k, id) };
      const title = sessionTitle(turn.title);
      let previous: ConversationKey | undefined;
      // Stored by every write of this turn: the client's retry of an update whose response was
      // lost must not add the turn and its cost twice (`ADD`); it finds its own id and reads back.
      const writeId = newWriteId();
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const at = Math.floor(turn.at);
        const until = historyUntil(at);
        const keep = keepUntil({ historyUntil: until });
        try {
          // A kept entry: add the turn (one write; the id item is only touched every ~200 days).
          const res = await doc.send(
            new UpdateCommand({
              TableName: table,
              Key,
              UpdateExpression:
                'SET updatedAt = :at, historyUntil = :hu, keepUntil = :keep, #ttl = :ttl, #wid = :wid' +
                (turn.model !== null ? ', #model = :model' : '') +
                (title !== '' ? ', #title = if_not_exists(#title, :title)' : '') +
                ' ADD turns :one, costUsd :cost',
              ConditionExpression: `attribute_exists(pk) AND keepUntil > :now AND ${notOwnWrite('#wid', ':wid')}`,
              ExpressionAttributeNames: {
                '#ttl': 'ttl',
                '#wid': 'writeId',
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
                ':wid': writeId,
                ...(turn.model !== null ? { ':model': turn.model } : {}),
                ...(title !== '' ? { ':title': title } : {}),
              },
              ReturnValues: 'ALL_NEW',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          );
          const attributes = res.Attributes ?? {};
          if (Number(attributes.refUntil ?? 0) - now() < REF_REFRESH_MS) await refreshRef(k, id);
          return toInfo(k.tenant, attributes);
        } catch (err) {
          if (isOwnWrite(err, 'writeId', writeId)) {
            const mine = await entryAt(k, id);
            if (mine) return mine;
          }
          if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `recordTurn ${id}`, err);
        }
        // Absent or no longer kept here: a new entry with its id item, unless the id is another
        // conversation's (its id item says so) or a concurrent turn just made the entry.
        const fresh = withTurn(null, k, id, turn);
        const outcome = await putNew(fresh, previous, writeId);
        if (outcome === 'ok') return fresh;
        if (outcome === 'ref') previous = await staleRef(k, id);
      }
      throw new StorageError(`[sessions:cloud] recording a turn of session ${id} kept conflicting`, {
        code: 'storage_contention',
      });
    },

    async create(info) {
      const entry = catalogEntry(info);
      const id = entry.sessionId;
      const ref = await readRef(entry.key.tenant, id);
      if (ref && (await entryAt(ref, id))) throw sessionExists(id);
      if ((await putNew(entry, ref ?? undefined)) !== 'ok') throw sessionExists(id);
    },

    async get(tenant, sessionId) {
      return locate(parseTenantId(tenant), parseSessionId(sessionId));
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
      const id = parseSessionId(sessionId);
      const ref = await readRef(t, id);
      if (!ref) return null;
      const res = await call(SOURCE, `DeleteItem ${id}`, () =>
        doc.send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: t, sk: sessionSk(ref, id) },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      await call(SOURCE, `DeleteItem ${sessionRefSk(id)}`, () =>
        doc.send(new DeleteCommand({ TableName: table, Key: { pk: t, sk: sessionRefSk(id) } })),
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
