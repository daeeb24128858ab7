import { randomBytes } from 'node:crypto';
import {
  BatchGetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  conditionFailedItem,
  isConditionalCheckFailed,
  isOwnWrite,
  newWriteId,
  notOwnWrite,
  translate,
} from '../../../aws/index.js';
import { StorageError } from '../../../core/errors.js';
import {
  MAX_MODELS_PER_DAY,
  ZERO,
  type CounterValues,
  type CounterWrite,
  type StoredTurn,
} from '../../counters.js';
import { createUsageStore, type UsageBackend, type UsageStoreOptions } from '../../store.js';
import type { UsageStore } from '../../types.js';
import { counterSk, readPks, shardOf, shardPk, turnSk, usageShards } from './schema.js';

export { DEFAULT_USAGE_SHARDS, MAX_USAGE_SHARDS, USAGE_PREFIX, USAGE_TURN_PREFIX } from './schema.js';

export interface DynamoUsageStoreOptions extends UsageStoreOptions {
  /** Document client (`removeUndefinedValues`); built by the caller, e.g. `createCloudClients`. */
  dynamo: DynamoDBDocumentClient;
  /** The sessions' table (`pk`/`sk` strings, TTL attribute `ttl`). */
  table: string;
  /**
   * Usage shards per tenant (`pk` = `<tenant>#u<k>`), 1–24, default 8. Raise it freely; lowering
   * it hides the counts of the dropped shards until they expire (docs/tenants.md).
   */
  shards?: number;
}

const MAX_ATTEMPTS = 10;
/** BatchGetItem rounds for unprocessed keys (DynamoDB returns them under throttling). */
const MAX_BATCH_READ_ATTEMPTS = 5;
const NAMES = {
  '#turns': 'turns',
  '#in': 'inputTokens',
  '#out': 'outputTokens',
  '#cc': 'cacheCreationTokens',
  '#cr': 'cacheReadTokens',
  '#cost': 'costMicroUsd',
  '#kind': 'kind',
  '#updated': 'updatedAt',
  '#exp': 'expiresAt',
  '#ttl': 'ttl',
};

const SOURCE = 'usage:dynamodb';
/**
 * Recent-writer slots per counter item (`bump0`…`bump7`): a turn's bump stores its random id in
 * the slot its id picks and refuses to apply where that slot holds it already.
 */
const BUMP_SLOTS = 8;
const bumpSlot = (writeId: string): string => `bump${parseInt(writeId.slice(0, 4), 16) % BUMP_SLOTS}`;

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

/**
 * A bump's condition failed on a live item whose model set is full (and lacks the model): the
 * model is not listed that day. Read from the item the failure returned (`ALL_OLD`).
 */
function modelSetFull(err: unknown, now: number): boolean {
  const old = conditionFailedItem(err);
  const exp = Number(old?.['expiresAt']?.N ?? 0);
  const size = old?.['models']?.SS?.length ?? 0;
  return exp > now && size >= MAX_MODELS_PER_DAY;
}

/** The union of a counter's model sets over its shards (at most `MAX_MODELS_PER_DAY` listed). */
function mergeModels(sum: CounterValues, item: Record<string, unknown>): readonly string[] | undefined {
  const set = item.models;
  if (!(set instanceof Set)) return sum.models;
  const merged = new Set(sum.models ?? []);
  for (const m of set) if (typeof m === 'string' && merged.size < MAX_MODELS_PER_DAY) merged.add(m);
  return [...merged];
}

/** `sum` plus one stored counter item (one shard's share). */
function add(sum: CounterValues, item: Record<string, unknown>): CounterValues {
  const models = mergeModels(sum, item);
  return {
    ...(models ? { models } : {}),
    turns: sum.turns + num(item.turns),
    input: sum.input + num(item.inputTokens),
    output: sum.output + num(item.outputTokens),
    cacheCreation: sum.cacheCreation + num(item.cacheCreationTokens),
    cacheRead: sum.cacheRead + num(item.cacheReadTokens),
    costMicroUsd: sum.costMicroUsd + num(item.costMicroUsd),
  };
}

/**
 * Usage in DynamoDB: every counter is bumped with one atomic `ADD` (no read-modify-write, so
 * concurrent workers never lose an update); an expired counter still waiting for TTL deletion is
 * replaced by a conditional Put instead. A bump whose response was lost is retried by the client
 * with the same request; the turn's random write id in one of `BUMP_SLOTS` slots of the item
 * makes that retry fail its condition on our own write (recognised, so nothing is counted twice)
 * instead of adding again. Other turns bumping the same counter in between overwrite the slot only
 * if their id picks the same one (1 in 8 each), so on a hot tenant counter a retry can still very
 * rarely count twice; the cost is ≤ 8 × ~25 bytes per counter item (no extra write unit: counters
 * stay far below 1 KB) and nothing per read. The raw turn is one Put. Each item is atomic on its own;
 * the turn's items are written in parallel, not in one transaction (transactions would conflict
 * on the hot tenant counters). All items of a turn go to its conversation's shard (`schema.ts`);
 * a read sums each counter over the shards and the legacy unsharded key.
 */
export function createDynamoUsageStore(options: DynamoUsageStoreOptions): UsageStore {
  const { dynamo: doc, table } = options;
  const shards = usageShards(options.shards);
  const pkOf = (turn: StoredTurn) => shardPk(turn.tenant, shardOf(turn.chat, turn.thread, shards));

  async function bump(turn: StoredTurn, counter: CounterWrite, now: number, writeId: string): Promise<void> {
    const v = turn.values;
    const key = { pk: pkOf(turn), sk: counterSk(counter.key) };
    const ttl = Math.ceil(counter.expiresAt / 1000);
    const slot = bumpSlot(writeId);
    // The tenant's day counter adds the model to its string set, unless the set is full (then the
    // bump is redone without it: the turn still counts in the day and in its model's counter).
    let model = counter.model;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const withModel = model !== undefined;
      try {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            UpdateExpression: `SET #kind = :kind, #updated = :now, #exp = :exp, #ttl = :ttl, #slot = :wid ADD #turns :turns, #in :in, #out :out, #cc :cc, #cr :cr, #cost :cost${withModel ? ', #models :model' : ''}`,
            ConditionExpression: `(attribute_not_exists(pk) OR #exp > :now) AND ${notOwnWrite('#slot', ':wid')}${
              withModel
                ? ' AND (attribute_not_exists(#models) OR size(#models) < :maxModels OR contains(#models, :modelName))'
                : ''
            }`,
            ExpressionAttributeNames: {
              ...NAMES,
              '#slot': slot,
              ...(withModel ? { '#models': 'models' } : {}),
            },
            ExpressionAttributeValues: {
              ':wid': writeId,
              ':kind': 'usage-counter',
              ':now': now,
              ':exp': counter.expiresAt,
              ':ttl': ttl,
              ':turns': v.turns,
              ':in': v.input,
              ':out': v.output,
              ':cc': v.cacheCreation,
              ':cr': v.cacheRead,
              ':cost': v.costMicroUsd,
              ...(withModel
                ? { ':model': new Set([model]), ':modelName': model, ':maxModels': MAX_MODELS_PER_DAY }
                : {}),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return;
      } catch (err) {
        if (isOwnWrite(err, slot, writeId)) return; // our own bump, applied by a lost attempt
        if (!isConditionalCheckFailed(err)) throw err;
        if (withModel && modelSetFull(err, now)) {
          model = undefined;
          continue;
        }
      }
      // Expired but not yet deleted by TTL: start it afresh (unless a concurrent writer just did).
      try {
        await doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...key,
              kind: 'usage-counter',
              turns: v.turns,
              inputTokens: v.input,
              outputTokens: v.output,
              cacheCreationTokens: v.cacheCreation,
              cacheReadTokens: v.cacheRead,
              costMicroUsd: v.costMicroUsd,
              updatedAt: now,
              expiresAt: counter.expiresAt,
              ttl,
              [slot]: writeId,
              ...(counter.model !== undefined ? { models: new Set([counter.model]) } : {}),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #exp <= :now',
            ExpressionAttributeNames: { '#exp': 'expiresAt' },
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        return;
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    }
    throw new StorageError(`[usage:dynamodb] counter ${counter.key} of ${turn.tenant} kept conflicting`, {
      code: 'storage_contention',
    });
  }

  async function putTurn(turn: StoredTurn): Promise<void> {
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: pkOf(turn),
          sk: turnSk(turn.at, randomBytes(8).toString('hex')),
          kind: 'usage-turn',
          chat: turn.chat,
          thread: turn.thread,
          ...(turn.userId === null ? {} : { userId: turn.userId }),
          sessionId: turn.sessionId,
          model: turn.model,
          inputTokens: turn.values.input,
          outputTokens: turn.values.output,
          cacheCreationTokens: turn.values.cacheCreation,
          cacheReadTokens: turn.values.cacheRead,
          costMicroUsd: turn.values.costMicroUsd,
          durationMs: turn.durationMs,
          at: turn.at,
          expiresAt: turn.expiresAt,
          ttl: Math.ceil(turn.expiresAt / 1000),
        },
      }),
    );
  }

  const backend: UsageBackend = {
    async write(turn, counters, now) {
      try {
        const writeId = newWriteId();
        await Promise.all([putTurn(turn), ...counters.map((c) => bump(turn, c, now, writeId))]);
      } catch (err) {
        throw translate(SOURCE, `record for ${turn.tenant}`, err);
      }
    },

    async read(tenant, keys, now) {
      const out = new Map<string, CounterValues>();
      const bySk = new Map(keys.map((key) => [counterSk(key), key]));
      // One BatchGetItem (≤ 100 keys) for every counter a check needs on every shard and the
      // legacy key (a budget check of tenant + user, day + month: 4 × (8 + 1) = 36 keys): one round
      // trip before the model is asked. Longer reads (the console's 30-day history: 270 day keys)
      // are split into batches of 100, read in parallel. Each shard's value is added; expired
      // items count as absent.
      const all = readPks(tenant, shards).flatMap((pk) => [...bySk.keys()].map((sk) => ({ pk, sk })));
      const batches = Array.from({ length: Math.ceil(all.length / 100) }, (_, i) =>
        all.slice(i * 100, i * 100 + 100),
      );
      const readBatch = async (batch: Array<Record<string, unknown>>): Promise<void> => {
        let pending = batch;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt >= MAX_BATCH_READ_ATTEMPTS) {
            throw new Error(`${pending.length} counters left unprocessed after ${attempt} attempts`);
          }
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
          const res = await doc.send(
            new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
          );
          for (const item of res.Responses?.[table] ?? []) {
            const key = bySk.get(String(item.sk));
            if (key === undefined || num(item.expiresAt) <= now) continue;
            out.set(key, add(out.get(key) ?? ZERO, item));
          }
          pending = res.UnprocessedKeys?.[table]?.Keys ?? [];
        }
      };
      try {
        await Promise.all(batches.map(readBatch));
      } catch (err) {
        throw translate(SOURCE, `read counters of ${tenant}`, err);
      }
      return out;
    },

    async close() {
      // The client belongs to the caller.
    },
  };

  return createUsageStore(backend, options);
}
