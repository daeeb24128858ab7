import { createHash } from 'node:crypto';
import type { TenantId } from '../../../core/ids.js';
import { InvalidUsageError } from '../../errors.js';

/**
 * Usage items in the sessions' single table (`tableDefinition` in sessions/adapters/cloud/schema.ts),
 * spread over N usage shards of the tenant so one busy tenant does not write every usage item of
 * every turn into one partition (docs/scale.md §8.2):
 *
 *   `pk` = `<tenant>#u<k>`, k = a stable hash of the turn's conversation (`<chat>:<thread>`) mod N
 *
 * Every key starts with the validated tenant id and tenant ids cannot contain `#` (core/ids.ts), so
 * no shard key of one tenant is another tenant's id or shard key. All items of one turn (its ten
 * counters and its raw record) go to the shard of its conversation; a read sums the same counter
 * over the N shards plus the legacy key `pk` = tenant, where releases before the shards wrote
 * (counted until those items expire: at most the retention + 31 days after the upgrade).
 *
 * | item    | sk                                                | attributes                                         |
 * |---------|---------------------------------------------------|----------------------------------------------------|
 * | counter | `usage#<counter key>` e.g. `usage#tenant#day#2025-01-31`, `usage#user#42#month#2025-01`, `usage#conv#<chat>:<thread>#all` | `turns`, `inputTokens`, `outputTokens`, `cacheCreationTokens`, `cacheReadTokens`, `costMicroUsd`, `updatedAt`, `expiresAt`, `ttl`, `bump0`…`bump7` (recent turns' write ids: a lost response's retry is not counted twice) |
 * | model day | `usage#model#<encodeModel(model)>#day#2025-01-31` (counters.ts) | as a counter; the tenant's day counter `usage#tenant#day#…` also holds `models`, a string set of the encoded models of that day (≤ `MAX_MODELS_PER_DAY`; `ADD` in the same `UpdateItem`) |
 * | turn    | `usage#turn#<ISO time>#<random>`                  | `chat`, `thread`, `userId?`, `sessionId`, `model`, token counts, `costMicroUsd`, `durationMs`, `at`, `expiresAt`, `ttl` |
 *
 * `ttl` (epoch seconds) is the table's TTL attribute; `expiresAt` is the same instant in ms, used
 * to treat expired-but-not-yet-deleted items as absent.
 */
export const USAGE_PREFIX = 'usage#';
export const USAGE_TURN_PREFIX = 'usage#turn#';

/** Shards per tenant unless configured (`OMNICLOUD_USAGE_SHARDS`): ~630–800 turns/s of one tenant on writes. */
export const DEFAULT_USAGE_SHARDS = 8;
/** A budget check reads ≤ 4 counters × (N shards + the legacy key): with N ≤ 24 one BatchGetItem (≤ 100 keys). */
export const MAX_USAGE_SHARDS = 24;

export function counterSk(counterKey: string): string {
  return `${USAGE_PREFIX}${counterKey}`;
}

export function turnSk(at: number, nonce: string): string {
  return `${USAGE_TURN_PREFIX}${new Date(at).toISOString()}#${nonce}`;
}

/** The shard count, validated: a whole number 1–24. */
export function usageShards(value: number | undefined): number {
  const n = value ?? DEFAULT_USAGE_SHARDS;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_USAGE_SHARDS) {
    throw new InvalidUsageError(
      `[usage:dynamodb] shards must be a whole number 1–${MAX_USAGE_SHARDS}, got ${n}`,
    );
  }
  return n;
}

/**
 * The shard of a conversation (validated chat and thread ids, as in `StoredTurn`): the first 4
 * bytes of SHA-256(`<chat>:<thread>`) mod `shards`.
 */
export function shardOf(chat: string, thread: string, shards: number): number {
  return createHash('sha256').update(`${chat}:${thread}`).digest().readUInt32BE(0) % shards;
}

/** The partition key of a tenant's usage shard `k`. */
export function shardPk(tenant: TenantId, shard: number): string {
  return `${tenant}#u${shard}`;
}

/** Every partition key a read sums over: the N shards, then the legacy unsharded key (`pk` = tenant). */
export function readPks(tenant: TenantId, shards: number): string[] {
  return [...Array.from({ length: shards }, (_, k) => shardPk(tenant, k)), tenant];
}
