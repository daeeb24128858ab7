import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from '../../../aws/batch-get.js';
import { CONSUMED_TOTAL, consumedUnits } from '../../../aws/index.js';
import { isTenantId, parseSessionId, type TenantId } from '../../../core/ids.js';
import type { TransferMetrics } from './objects.js';
import { queryPrefix } from './prefix-query.js';
import { HEAD_INDEX_KIND, HEAD_PREFIX, headIdentity, sessionPk } from './schema.js';

export interface HeadListingDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  metrics: TransferMetrics;
  /** Whether legacy heads (`pk` = tenant, kind `head`) are listed too. */
  legacy: boolean;
}

/** A main head as listed: its session id and the requested attributes (`mtime` always). */
export interface ListedHead {
  sessionId: string;
  item: Record<string, unknown>;
}

const SOURCE = 'sessions:cloud';

/**
 * The main heads of a tenant's sessions, strongly consistent: one Query of the tenant partition by
 * the head prefix (as before §8.1) — legacy heads come back whole, session markers name a session
 * living in its own partition, whose main head one BatchGetItem then reads (projected). A marker
 * whose head is gone (deleted, expired) is skipped.
 */
export async function listMainHeads(
  deps: HeadListingDeps,
  tenant: TenantId,
  attributes: string[],
): Promise<ListedHead[]> {
  if (!isTenantId(tenant)) return [];
  const wanted = ['sk', 'mtime', ...attributes];
  const items = await queryPrefix(deps, SOURCE, tenant, `${HEAD_PREFIX}${tenant}#`, ['kind', ...wanted]);
  const out: ListedHead[] = [];
  const indexed = new Map<string, string>();
  for (const item of items) {
    const { sessionId, subpath } = headIdentity(String(item.sk));
    if (subpath !== '' || sessionId === '') continue;
    if (item.kind === 'head' && deps.legacy) out.push({ sessionId, item });
    else if (item.kind === HEAD_INDEX_KIND) indexed.set(String(item.sk), sessionId);
  }
  if (indexed.size === 0) return out;
  const names = Object.fromEntries(wanted.map((a, i) => [`#a${i}`, a]));
  const heads = await batchGetAll({
    doc: deps.doc,
    table: deps.table,
    keys: [...indexed].map(([sk, sessionId]) => ({ pk: sessionPk(tenant, parseSessionId(sessionId)), sk })),
    source: SOURCE,
    what: 'session heads',
    request: { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names },
    extra: CONSUMED_TOTAL,
    onResponse: (res) => {
      deps.metrics.dynamoReads += 1;
      deps.metrics.dynamoReadUnits += consumedUnits(res.ConsumedCapacity);
    },
  });
  for (const item of heads) {
    const sessionId = indexed.get(String(item.sk));
    if (sessionId !== undefined) out.push({ sessionId, item });
  }
  // In sort-key order, as the Query alone listed them.
  return out.sort((a, b) => (String(a.item.sk) < String(b.item.sk) ? -1 : 1));
}
