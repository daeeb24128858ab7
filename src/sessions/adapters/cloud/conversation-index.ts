import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from '../../../aws/batch-get.js';
import { call, isConditionalCheckFailed } from '../../../aws/index.js';
import { CONVERSATION_RETENTION_DAYS, DAY_MS } from '../../../core/clock.js';
import { isTenantId, type TenantId } from '../../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../../core/keys.js';
import { markerDue, markerItem, markerTtl } from './index-markers.js';
import { queryPrefix } from './prefix-query.js';
import { CONVERSATION_INDEX_KIND, CONVERSATION_PREFIX, conversationPk, conversationSk } from './schema.js';

/** Conversation markers live one conversation retention beyond their item (index-markers.ts). */
export const CONVERSATION_MARKERS = { retentionMs: CONVERSATION_RETENTION_DAYS * DAY_MS };

export interface ConversationIndexDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  /** Whether legacy items (`pk` = tenant, kind `conversation`) are read too. */
  legacy: boolean;
}

const SOURCE = 'sessions:cloud:conversations';

/**
 * The conversation markers on the tenant partition (schema.ts): written when a conversation item
 * is created at its own partition, refreshed when its `indexTtl` is due, read by `list`.
 */
export function createConversationIndex(deps: ConversationIndexDeps) {
  const { doc, table, legacy } = deps;

  /**
   * Put the marker of `key` with `ttl`. While legacy reads are on it must not replace a live legacy
   * item (same key): `false` then (a writer of the old release created it meanwhile; read again).
   */
  async function put(key: ConversationKey, ttl: number, now: number): Promise<boolean> {
    const item = markerItem(key.tenant, conversationSk(key), CONVERSATION_INDEX_KIND, ttl);
    try {
      await call(SOURCE, `PutItem marker ${conversationSk(key)}`, () =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: item,
            ...(legacy && {
              ConditionExpression: 'attribute_not_exists(pk) OR #kind = :kind OR expiresAt <= :now',
              ExpressionAttributeNames: { '#kind': 'kind' },
              ExpressionAttributeValues: { ':kind': CONVERSATION_INDEX_KIND, ':now': now },
            }),
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed((err as { cause?: unknown }).cause)) return false;
      throw err;
    }
  }

  /** The `indexTtl` a new item with `ttl` gets (its marker's ttl). */
  const ttlFor = (itemTtl: number): number => markerTtl(CONVERSATION_MARKERS, itemTtl);

  /**
   * After a write of the item at its own partition (`item`: as written): if its ttl passed its
   * marker's, write the marker, then the item's new `indexTtl` (marker first: it must outlive the item).
   */
  async function refresh(key: ConversationKey, item: Record<string, unknown>, now: number): Promise<void> {
    if (item.pk !== conversationPk(key)) return;
    const current = typeof item.indexTtl === 'number' ? item.indexTtl : undefined;
    if (!markerDue(current, Number(item.ttl))) return;
    const ttl = ttlFor(Number(item.ttl));
    if (!(await put(key, ttl, now))) return;
    await call(SOURCE, `UpdateItem indexTtl ${conversationSk(key)}`, () =>
      doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: conversationPk(key), sk: conversationSk(key) },
          UpdateExpression: 'SET indexTtl = :t',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':t': ttl },
        }),
      ),
    ).catch((err: unknown) => {
      // Deleted meanwhile: nothing to index.
      if (!isConditionalCheckFailed((err as { cause?: unknown }).cause)) throw err;
    });
  }

  /**
   * Every conversation item of `tenant` (live or not; the caller filters): one consistent Query of
   * the tenant partition by the conversation prefix — legacy items come back whole, markers name
   * items read with one BatchGetItem from their own partitions (a marker whose item is gone is skipped).
   */
  async function items(tenant: TenantId): Promise<Array<Record<string, unknown>>> {
    if (!isTenantId(tenant)) return [];
    const prefix = `${CONVERSATION_PREFIX}${tenant}:`;
    const found = await queryPrefix({ doc, table }, SOURCE, tenant, prefix);
    const out: Array<Record<string, unknown>> = [];
    const keys: Array<{ pk: string; sk: string }> = [];
    for (const item of found) {
      if (item.kind === 'conversation' && legacy) out.push(item);
      else if (item.kind === CONVERSATION_INDEX_KIND) {
        const [chat, thread] = String(item.sk).slice(prefix.length).split(':');
        const key = conversationKey({ tenant, chat, thread });
        keys.push({ pk: conversationPk(key), sk: String(item.sk) });
      }
    }
    if (keys.length > 0) {
      out.push(...(await batchGetAll({ doc, table, keys, source: SOURCE, what: 'conversations' })));
    }
    return out.sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1));
  }

  return { put, ttlFor, refresh, items };
}

export type ConversationIndex = ReturnType<typeof createConversationIndex>;
