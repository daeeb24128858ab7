/**
 * Telegram update dedupe: the `UpdateDeduper` seam and its in-memory driver. Safe to import
 * anywhere (no database driver, no AWS SDK): the drivers are reached by subpath —
 * `telegram/dedupe/sqlite.js` (better-sqlite3), `telegram/dedupe/dynamo.js` (AWS SDK) — and the
 * shared contract every driver passes is `telegram/dedupe/conformance.js` (tests only).
 */
export { DEFAULT_DEDUPE_TTL_MS, type UpdateDeduper } from './types.js';
export { createMemoryDeduper } from './memory.js';
