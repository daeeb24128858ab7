import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll, pauseBeforeRound } from '../../../aws/batch-get.js';
import { StorageError } from '../../../core/errors.js';
import type { TranscriptAddress } from '../../../core/keys.js';
import { call, CONSUMED_TOTAL, consumedUnits } from '../../../aws/index.js';
import { queryPrefix } from './prefix-query.js';
import type { TransferMetrics } from './objects.js';
import { tablePartSk, tablePartsPrefix, type TablePartItem } from './schema.js';

/** BatchWriteItem takes at most 25 requests. */
const DELETE_BATCH = 25;
/** Rounds of retrying what DynamoDB left unprocessed (throttling) before giving up. */
const MAX_ROUNDS = 8;
const SOURCE = 'sessions:cloud';

/**
 * Parts kept as DynamoDB items (see `TablePartItem`); written only through `HeadStore.commit`. A
 * part lives in its head's partition (`pk`: the session's, or the tenant's for a legacy head), so
 * every method takes the head's `pk`, never one derived from the address.
 */
export interface TablePartStore {
  /** The item for a part of `addr` whose head is at `pk` (to pass to `HeadStore.commit`). */
  item(pk: string, addr: TranscriptAddress, token: string, body: Buffer, ttl: number): TablePartItem;
  /** The bodies of the given parts (strongly consistent); a part that does not exist is absent from the map. */
  getMany(pk: string, addr: TranscriptAddress, tokens: string[]): Promise<Map<string, Buffer>>;
  /** Delete the given parts of `addr`. */
  removeMany(pk: string, addr: TranscriptAddress, tokens: string[]): Promise<void>;
  /** Delete every part of the stream (`wholeSession`: of main and every subpath). */
  removeAll(pk: string, addr: TranscriptAddress, wholeSession: boolean): Promise<void>;
}

export interface TablePartDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  metrics: TransferMetrics;
}

function asBuffer(value: unknown): Buffer | null {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : null;
}

function unprocessed(what: string, count: number): StorageError {
  return new StorageError(`[sessions:cloud] ${what} left ${count} part(s) unprocessed`, {
    code: 'storage_throttled',
  });
}

export function createTablePartStore(deps: TablePartDeps): TablePartStore {
  const { doc, table, metrics } = deps;

  async function deleteKeys(pk: string, sks: string[]): Promise<void> {
    for (let i = 0; i < sks.length; i += DELETE_BATCH) {
      let requests = sks.slice(i, i + DELETE_BATCH).map((sk) => ({ DeleteRequest: { Key: { pk, sk } } }));
      for (let round = 0; requests.length > 0; round++) {
        if (round === MAX_ROUNDS) throw unprocessed('BatchWriteItem', requests.length);
        if (round > 0) await pauseBeforeRound(round);
        const res = await call(SOURCE, `BatchWriteItem (${requests.length} part deletes)`, () =>
          doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests }, ...CONSUMED_TOTAL })),
        );
        metrics.dynamoWrites += 1;
        metrics.dynamoWriteUnits += consumedUnits(res.ConsumedCapacity);
        requests = (res.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    }
  }

  return {
    item(pk, addr, token, body, ttl) {
      return { pk, sk: tablePartSk(addr, token), kind: 'part', body, ttl };
    },

    async getMany(pk, addr, tokens) {
      const found = new Map<string, Buffer>();
      const bySk = new Map(tokens.map((t) => [tablePartSk(addr, t), t]));
      const items = await batchGetAll({
        doc,
        table,
        keys: [...bySk.keys()].map((sk) => ({ pk, sk })),
        source: SOURCE,
        what: 'parts',
        request: {
          ProjectionExpression: '#sk, #body',
          ExpressionAttributeNames: { '#sk': 'sk', '#body': 'body' },
        },
        extra: CONSUMED_TOTAL,
        onResponse: (res) => {
          metrics.dynamoReads += 1;
          metrics.dynamoReadUnits += consumedUnits(res.ConsumedCapacity);
        },
      });
      for (const item of items) {
        const token = bySk.get(String(item.sk));
        const body = asBuffer(item.body);
        if (token === undefined || body === null) continue;
        metrics.dynamoBytesRead += body.byteLength;
        found.set(token, body);
      }
      return found;
    },

    async removeMany(pk, addr, tokens) {
      await deleteKeys(
        pk,
        tokens.map((t) => tablePartSk(addr, t)),
      );
    },

    async removeAll(pk, addr, wholeSession) {
      const items = await queryPrefix(deps, SOURCE, pk, tablePartsPrefix(addr, wholeSession), ['sk']);
      await deleteKeys(
        pk,
        items.map((i) => String(i.sk)),
      );
    },
  };
}
