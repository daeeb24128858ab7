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
import { queryPrefix } from './prefix-query.js';
import { itemSize } from './item-size.js';
import type { TransferMetrics } from './objects.js';
import {
  headSk,
  leaseSk,
  parseHead,
  sessionHeadsPrefix,
  type HeadItem,
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
}

/** The DynamoDB side of transcript heads: read, conditional commit, query, delete. */
export interface HeadStore {
  /** The DynamoDB table holding heads and table parts. */
  readonly table: string;
  /** The current head (strongly consistent read), or `null` if the stream was never written. */
  read(addr: TranscriptAddress): Promise<HeadItem | null>;
  /**
   * Write `next` if the stored head is still `prev` (same `seq`; absent for `null`). An existing
   * head is changed with one `UpdateItem` carrying only the attributes that differ (lists that only
   * grew are `list_append`ed). With `fence`, the write is a transaction that also checks the lease
   * item (token, owner, not expired): `'fenced'` if that check failed. With `part`, the part item
   * is created in the same transaction: it exists exactly when the head that references it does.
   */
  commit(prev: HeadItem | null, next: HeadItem, options?: CommitOptions): Promise<CommitResult>;
  /** Every head of a session (main and subpaths), whole, by sort key: one consistent Query. */
  readSession(tenant: TenantId, sessionId: SessionId): Promise<Map<string, HeadItem>>;
  /** Heads of a tenant whose sort key starts with `prefix` (projected to `attributes`). */
  query(tenant: string, prefix: string, attributes: string[]): Promise<Array<Record<string, unknown>>>;
  remove(tenant: string, sk: string): Promise<void>;
}

export interface HeadStoreDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
  metrics: TransferMetrics;
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
  const source = 'sessions:cloud';
  const queryDeps = { doc, table, metrics };

  function leaseCheck(fence: Lease) {
    return {
      ConditionCheck: {
        TableName: table,
        Key: { pk: fence.key.tenant, sk: leaseSk(fence.key) },
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
    const { fence, part, samePieces } = options;
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
    const tx = fence !== undefined || part !== undefined;
    const items = () => [
      ...(fence ? [leaseCheck(fence)] : []),
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

  return {
    table,
    async read(addr) {
      const res = await call(source, `GetItem head ${transcriptId(addr)}`, () =>
        doc.send(
          new GetCommand({
            TableName: table,
            Key: { pk: addr.tenant, sk: headSk(addr) },
            ConsistentRead: true,
            ...CONSUMED_TOTAL,
          }),
        ),
      );
      metrics.dynamoReads += 1;
      metrics.dynamoReadUnits += consumedUnits(res.ConsumedCapacity);
      return parseHead(res.Item, transcriptId(addr));
    },
    commit,
    async readSession(tenant, sessionId) {
      const prefix = sessionHeadsPrefix(tenant, sessionId);
      const found = new Map<string, HeadItem>();
      for (const item of await queryPrefix(queryDeps, source, tenant, prefix)) {
        const head = parseHead(item, String(item.sk));
        if (head) found.set(head.sk, head);
      }
      return found;
    },
    query: (tenant, prefix, attributes) => queryPrefix(queryDeps, source, tenant, prefix, attributes),
    async remove(tenant, sk) {
      await call(source, `DeleteItem ${sk}`, () =>
        doc.send(new DeleteCommand({ TableName: table, Key: { pk: tenant, sk } })),
      );
      metrics.dynamoWrites += 1;
    },
  };
}
