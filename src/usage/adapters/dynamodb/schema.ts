/**
 * Usage items in the sessions' single table (`tableDefinition` in sessions/adapters/cloud/schema.ts):
 * partition key `pk` = tenant, so a tenant's usage can never be read through another tenant's key.
 *
 * | item    | sk                                                | attributes                                         |
 * |---------|---------------------------------------------------|----------------------------------------------------|
 * | counter | `usage#<counter key>` e.g. `usage#tenant#day#2025-01-31`, `usage#user#42#month#2025-01`, `usage#conv#<chat>:<thread>#all` | `turns`, `inputTokens`, `outputTokens`, `cacheCreationTokens`, `cacheReadTokens`, `costMicroUsd`, `updatedAt`, `expiresAt`, `ttl`, `bump0`…`bump7` (recent turns' write ids: a lost response's retry is not counted twice) |
 * | turn    | `usage#turn#<ISO time>#<random>`                  | `chat`, `thread`, `userId?`, `sessionId`, `model`, token counts, `costMicroUsd`, `durationMs`, `at`, `expiresAt`, `ttl` |
 *
 * `ttl` (epoch seconds) is the table's TTL attribute; `expiresAt` is the same instant in ms, used
 * to treat expired-but-not-yet-deleted items as absent.
 */
export const USAGE_PREFIX = 'usage#';
export const USAGE_TURN_PREFIX = 'usage#turn#';

export function counterSk(counterKey: string): string {
  return `${USAGE_PREFIX}${counterKey}`;
}

export function turnSk(at: number, nonce: string): string {
  return `${USAGE_TURN_PREFIX}${new Date(at).toISOString()}#${nonce}`;
}
