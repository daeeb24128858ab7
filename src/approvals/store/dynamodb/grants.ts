import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { call, isConditionalCheckFailed, translate } from '../../../aws/index.js';
import type { Clock } from '../../../core/clock.js';
import { StorageError } from '../../../core/errors.js';
import { parseSessionId, type SessionId } from '../../../core/ids.js';
import type { ConversationKey } from '../../../core/keys.js';
import type { ApprovalStore } from '../../types.js';
import { GRANT_RETENTION_MS, MAX_GRANTS, checkKey, checkRule, tooManyGrants } from '../record.js';
import { SOURCE, grantSk } from './schema.js';

const MAX_GRANT_ATTEMPTS = 10;

/**
 * A session's grants as one item (`rules`, in grant order). A rule is appended with one
 * conditional update (absent from the list, room left), so repeats are no-ops and concurrent
 * grants of different rules are all kept; an absent or expired item is started with a conditional put.
 */
export function createDynamoGrants(deps: {
  doc: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
}): Pick<ApprovalStore, 'grant' | 'grants'> {
  const { doc, table, clock } = deps;
  const now = () => Math.floor(clock.now());
  const grantKey = (key: ConversationKey, sessionId: SessionId) => {
    const k = checkKey(key);
    return { pk: k.tenant, sk: grantSk(k, parseSessionId(sessionId)) };
  };

  return {
    async grant(key, sessionId, input) {
      const itemKey = grantKey(key, sessionId);
      const rule = checkRule(input);
      for (let attempt = 0; attempt < MAX_GRANT_ATTEMPTS; attempt++) {
        const t = now();
        const expiresAt = t + GRANT_RETENTION_MS;
        const ttl = Math.ceil(expiresAt / 1000);
        try {
          // A live set without the rule and with room: append.
          await doc.send(
            new UpdateCommand({
              TableName: table,
              Key: itemKey,
              UpdateExpression: 'SET #rules = list_append(#rules, :new), expiresAt = :exp, #ttl = :ttl',
              ConditionExpression:
                'attribute_exists(sk) AND expiresAt > :now AND NOT contains(#rules, :rule) AND size(#rules) < :max',
              ExpressionAttributeNames: { '#rules': 'rules', '#ttl': 'ttl' },
              ExpressionAttributeValues: {
                ':new': [rule],
                ':rule': rule,
                ':max': MAX_GRANTS,
                ':now': t,
                ':exp': expiresAt,
                ':ttl': ttl,
              },
            }),
          );
          return;
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `grant ${itemKey.sk}`, err);
        }
        const res = await call(SOURCE, `GetItem ${itemKey.sk}`, () =>
          doc.send(new GetCommand({ TableName: table, Key: itemKey, ConsistentRead: true })),
        );
        const current = res.Item && Number(res.Item.expiresAt) > t ? res.Item : undefined;
        if (current) {
          const rules = Array.isArray(current.rules) ? current.rules : [];
          if (rules.includes(rule)) return;
          if (rules.length >= MAX_GRANTS) tooManyGrants(SOURCE);
          continue; // changed since the update: try again
        }
        // Absent or expired: start a new set, unless a concurrent grant just did.
        try {
          await doc.send(
            new PutCommand({
              TableName: table,
              Item: { ...itemKey, kind: 'grants', rules: [rule], expiresAt, ttl },
              ConditionExpression: 'attribute_not_exists(sk) OR expiresAt <= :now',
              ExpressionAttributeValues: { ':now': t },
            }),
          );
          return;
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw translate(SOURCE, `grant ${itemKey.sk}`, err);
        }
      }
      throw new StorageError(`[${SOURCE}] grant on ${itemKey.sk} kept conflicting`, {
        code: 'storage_contention',
      });
    },

    async grants(key, sessionId) {
      const itemKey = grantKey(key, sessionId);
      const res = await call(SOURCE, `GetItem ${itemKey.sk}`, () =>
        doc.send(new GetCommand({ TableName: table, Key: itemKey, ConsistentRead: true })),
      );
      const item = res.Item;
      if (!item || Number(item.expiresAt) <= now() || !Array.isArray(item.rules)) return [];
      return item.rules.filter((r): r is string => typeof r === 'string');
    },
  };
}
