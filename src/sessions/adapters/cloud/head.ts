import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../../core/clock.js';
import type { SessionId, TenantId } from '../../../core/ids.js';
import { batchGetAll } from '../../../aws/batch-get.js';
import { transcriptId, type TranscriptAddress } from '../../../core/keys.js';
import type { Lease } from '../../types.js';
import {
  call,
  cancellationCodes,
  CONSUMED_TOTAL,
  consumedUnits,
  isConditionalCheckFailed,
  translate,
} from '../../../aws/index.js';
import { listMainHeads, type ListedHead } from './head-listing.js';
import { queryPrefix } from './prefix-query.js';
import { itemSize } from './item-size.js';
import type { TransferMetrics } from './objects.js';
import {
  conversationPk,
  headSk,
  HEAD_INDEX_KIND,
  leaseSk,
  parseHead,
  sessionHeadsPrefix,
  sessionPk,
  type HeadItem,
  type IndexMarker,
  type TablePartItem,
} from './schema.js';

export type CommitResult = 'ok' | 'conflict' | 'fenced';

export interface CommitOptions {
  /** The lease whose holder alone may write (checked in DynamoDB, in the same transaction). */
  fence?: Lease;
  /** A table part the new head references, created with it. */
  part?: TablePartItem;
  /**
   * Also require the stored `parts` and `segments` to be exactly `prev`'s (compaction: it keeps
   * `seq`, so `seq` alone would let a writer holding a stale head merge pieces already merged).
   */
  samePieces?: boolean;
  /** The session's index marker on the tenant partition, (re)written in the same transaction. */
  index?: IndexMarker;
}

/** Where a session's heads were found (`pk`: its partition, new or legacy) and their sort keys. */
export interface SessionLocation {
  pk: string;
  sks: string[];
}

/** The DynamoDB side of transcript heads: read, conditional commit, query, delete. */
export interface HeadStore {
  /** The DynamoDB table holding heads and table parts. */
  readonly table: string;
  /** Whether heads are also looked for under the legacy `pk` = tenant (schema.ts). */
  readonly legacy: boolean;
  /**
   * The current head (strongly consistent read), or `null` if the stream was never written: at the
   * session's partition, else (legacy reads on) at the tenant's — one BatchGetItem of both keys.
   */
  read(addr: TranscriptAddress): Promise<HeadItem | null>;
  /**
   * Write `next` (at `next.pk`) if the stored head is still `prev` (same `seq`; absent for `null`). An existing
   * head is changed with one `UpdateItem` carrying only the attributes that differ (lists that only
   * grew are `list_append`ed). With `fence`, the write is a transaction that also checks the lease
   * item (token, owner, not expired): `'fenced'` if that check failed. With `part`, the part item
   * is created in the same transaction: it exists exactly when the head that references it does.
   * With `index`, the session marker is put in the same transaction.
   */
  commit(prev: HeadItem | null, next: HeadItem, options?: CommitOptions): Promise<CommitResult>;
  /**
   * Every head of a session (main and subpaths), whole, by sort key: one consistent Query of the
   * session's partition (a second of the legacy one when legacy reads are on and the first found none).
   */
  readSession(tenant: TenantId, sessionId: SessionId): Promise<Map<string, HeadItem>>;
  /** Where the session's heads live and their sort keys (`null`: no head anywhere); as `readSession`. */
  locate(tenant: TenantId, sessionId: SessionId): Promise<SessionLocation | null>;
  /** The main heads of a tenant's sessions (projected to `sk`, `mtime` and `attributes`), by session id order. */
  listMain(tenant: TenantId, attributes: string[]): Promise<ListedHead[]>;
  /** Delete one head at its partition. */
  remove(pk: string, sk: string): Promise<void>;
  /** Delete the session marker at `sk` of the tenant's partition, if it is one (never a legacy head). */
  removeIndex(tenant: TenantId, sk: string): Promise<void>;
}

export interface HeadStoreDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
  metrics: TransferMetrics;
  /** Read the legacy layout too (default true; `OMNICLOUD_SESSION_LEGACY_KEYS`). */
  legacy?: boolean;
}

const KEY_ATTRIBUTES = new Set(['pk', 'sk']);
const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

interface Update {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** The minimal `UpdateItem` turning `prev` into `next`, conditional on `prev.seq`. */
export function updateFor(prev: HeadItem, next: HeadItem): Update {
  const before = prev as unknown as Record<string, unknown>;
  const after = next as unknown as Record<string, unknown>;
  const sets: string[] = [];
  const removes: string[] = [];
  const names: Record<string, string> = { '#seq': 'seq' };
  const values: Record<string, unknown> = { ':expectedSeq': prev.seq };
  const attrs = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const attr of attrs) {
    if (KEY_ATTRIBUTES.has(attr)) continue;
    const a = before[attr];
    const b = after[attr];
    if (same(a, b)) continue;
    const name = `#${attr}`;
    names[name] = attr;
    if (b === undefined) {
      removes.push(name);
    } else if (
      Array.isArray(a) &&
      Array.isArray(b) &&
      b.length > a.length &&
      a.every((x, i) => same(x, b[i]))
    ) {
      sets.push(`${name} = list_append(${name}, :${attr})`);
      values[`:${attr}`] = b.slice(a.length);
    } else {
      sets.push(`${name} = :${attr}`);
      values[`:${attr}`] = b;
    }
  }
  const expression = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    UpdateExpression: expression,
    ConditionExpression: '#seq = :expectedSeq',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export function createHeadStore(deps: HeadStoreDeps): HeadStore {
  const { doc, table, clock, metrics } = deps;
  const legacy = deps.legacy ?? true;
  const source = 'sessions:cloud';
  const queryDeps = { doc, table, metrics };

  function leaseCheck(fence: Lease) {
    return {
      ConditionCheck: {
        TableName: table,
        Key: { pk: conversationPk(fence.key), sk: leaseSk(fence.key) },
        ConditionExpression: '#token = :token AND #owner = :owner AND #exp > :now',
        ExpressionAttributeNames: { '#token': 'token', '#owner': 'owner', '#exp': 'expiresAt' },
        ExpressionAttributeValues: { ':token': fence.token, ':owner': fence.owner, ':now': clock.now() },
      },
    };
  }

  function count(
    next: HeadItem,
    update: Update | null,
    part: TablePartItem | undefined,
    units: number,
  ): void {
    const headItem = next as unknown as Record<string, unknown>;
    const partItem = part as unknown as Record<string, unknown> | undefined;
    metrics.dynamoWrites += 1;
    metrics.dynamoBytesWritten += itemSize(headItem) + (partItem ? itemSize(partItem) : 0);
    metrics.dynamoRequestBytes +=
      (update
        ? Buffer.byteLength(update.UpdateExpression + JSON.stringify(update.ExpressionAttributeValues))
        : itemSize(headItem)) + (partItem ? itemSize(partItem) : 0);
    metrics.dynamoWriteUnits += units;
  }

  async function commit(
    prev: HeadItem | null,
    next: HeadItem,
    options: CommitOptions = {},
  ): Promise<CommitResult> {
    const { fence, part, samePieces, index } = options;
    const key = { pk: next.pk, sk: next.sk };
    const update = prev ? updateFor(prev, next) : null;
    if (update && prev && samePieces) {
      update.ConditionExpression += ' AND #parts = :prevParts AND #segments = :prevSegments';
      update.ExpressionAttributeNames['#parts'] = 'parts';
      update.ExpressionAttributeNames['#segments'] = 'segments';
      update.ExpressionAttributeValues[':prevParts'] = prev.parts;
      update.ExpressionAttributeValues[':prevSegments'] = prev.segments;
    }
    if (update && update.UpdateExpression === '' && !part) return 'ok';
    const create = { ConditionExpression: 'attribute_not_exists(pk)' };
    const tx = fence !== undefined || part !== undefined || index !== undefined;
    const items = () => [
      ...(fence ? [leaseCheck(fence)] : []),
      ...(index ? [{ Put: { TableName: table, Item: index } }] : []),
      ...(part ? [{ Put: { TableName: table, Item: part, ...create } }] : []),
      update
        ? { Update: { TableName: table, Key: key, ...update } }
        : { Put: { TableName: table, Item: next, ...create } },
    ];
    try {
      const res = tx
        ? await doc.send(new TransactWriteCommand({ TransactItems: items(), ...CONSUMED_TOTAL }))
        : update
          ? await doc.send(new UpdateCommand({ TableName: table, Key: key, ...update, ...CONSUMED_TOTAL }))
          : await doc.send(new PutCommand({ TableName: table, Item: next, ...create, ...CONSUMED_TOTAL }));
      count(next, update, part, consumedUnits(res.ConsumedCapacity));
      return 'ok';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'conflict';
      const codes = cancellationCodes(err);
      if (codes) {
        if (fence && codes[0] === 'ConditionalCheckFailed') return 'fenced';
        if (codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict'))
          return 'conflict';
      }
      if (codes === null && String((err as { name?: unknown }).name) === 'TransactionConflictException')
        return 'conflict';
      throw translate(source, `commit head ${next.sk}`, err);
    }
  }

  /** Heads (kind `head` only: the tenant partition also holds session markers at head sort keys). */
  async function findSession(
    tenant: TenantId,
    sessionId: SessionId,
    attributes?: string[],
  ): Promise<{ pk: string; items: Array<Record<string, unknown>> } | null> {
    const prefix = sessionHeadsPrefix(tenant, sessionId);
    const projection = attributes && ['pk', 'sk', 'kind', ...attributes];
    const pks = legacy ? [sessionPk(tenant, sessionId), tenant] : [sessionPk(tenant, sessionId)];
    for (const pk of pks) {
      const items = (await queryPrefix(queryDeps, source, pk, prefix, projection)).filter(
        (i) => i.kind === 'head',
      );
      if (items.length > 0) return { pk, items };
    }
    return null;
  }

  return {
    table,
    legacy,
    async read(addr) {
      const sk = headSk(addr);
      const own = { pk: sessionPk(addr.tenant, addr.sessionId), sk };
      if (!legacy) {
        const res = await call(source, `GetItem head ${transcriptId(addr)}`, () =>
          doc.send(new GetCommand({ TableName: table, Key: own, ConsistentRead: true, ...CONSUMED_TOTAL })),
        );
        metrics.dynamoReads += 1;
        metrics.dynamoReadUnits += consumedUnits(res.ConsumedCapacity);
        return parseHead(res.Item, transcriptId(addr));
      }
      const items = await batchGetAll({
        doc,
        table,
        keys: [own, { pk: addr.tenant, sk }],
        source,
        what: 'heads',
        extra: CONSUMED_TOTAL,
        onResponse: (res) => {
          metrics.dynamoReads += 1;
          metrics.dynamoReadUnits += consumedUnits(res.ConsumedCapacity);
        },
      });
      const found =
        items.find((i) => i.pk === own.pk) ?? items.find((i) => i.pk === addr.tenant && i.kind === 'head');
      return parseHead(found, transcriptId(addr));
    },
    commit,
    async readSession(tenant, sessionId) {
      const found = new Map<string, HeadItem>();
      for (const item of (await findSession(tenant, sessionId))?.items ?? []) {
        const head = parseHead(item, String(item.sk));
        if (head) found.set(head.sk, head);
      }
      return found;
    },
    async locate(tenant, sessionId) {
      const found = await findSession(tenant, sessionId, []);
      return found && { pk: found.pk, sks: found.items.map((i) => String(i.sk)) };
    },
    listMain: (tenant, attributes) => listMainHeads({ doc, table, metrics, legacy }, tenant, attributes),
    async remove(pk, sk) {
      await call(source, `DeleteItem ${sk}`, () =>
        doc.send(new DeleteCommand({ TableName: table, Key: { pk, sk } })),
      );
      metrics.dynamoWrites += 1;
    },
    async removeIndex(tenant, sk) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: tenant, sk },
            ConditionExpression: '#kind = :kind',
            ExpressionAttributeNames: { '#kind': 'kind' },
            ExpressionAttributeValues: { ':kind': HEAD_INDEX_KIND },
          }),
        );
        metrics.dynamoWrites += 1;
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw translate(source, `DeleteItem marker ${sk}`, err);
      }
    },
  };
}
