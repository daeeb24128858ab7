import { MAX_SEND_BYTES } from '../files/types.js';

/**
 * Bounds of the tenants file and of the webhook routes derived from it (issue 18: whatever the
 * schema accepts, the code behind it can use). Each says what it protects.
 */

/** Tenants of one deployment: each may keep warm agent processes and its own bot. */
export const MAX_TENANTS = 100;
/** `allowedUsers` / `approvers`: each incoming update is checked against the list. */
export const MAX_TELEGRAM_USERS = 1000;
/** Token references per list (`api.tokens`, `events.tokens`, `admin.apiTokens`): enough to rotate. */
export const MAX_TOKEN_REFS = 10;
/** A daily or monthly budget, in USD: far above any real limit, still exact in cents and in the counters. */
export const MAX_BUDGET_USD = 1_000_000;
/**
 * `budgets.modelRequestsPerMinute`: far above any provider tier (custom limits included), and a
 * per-window count the claims counter keeps exactly.
 */
export const MAX_MODEL_REQUESTS_PER_MINUTE = 1_000_000;
/** Longest `configDir` (Linux PATH_MAX). */
export const MAX_PATH_CHARS = 4096;
/**
 * Smallest `files.maxMb`: 1 KB. The cap becomes whole bytes (`filePolicy`) and the webhook routes
 * carry it as a positive integer, so a smaller positive value would round to a cap of 0.
 */
export const MIN_FILE_MB = 1 / 1024;
/** Largest `files.maxMb`: the Bot API uploads at most 50 MB (it downloads at most 20 MB). */
export const MAX_FILE_MB = MAX_SEND_BYTES / (1024 * 1024);
