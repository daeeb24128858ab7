/**
 * The SQLite schedule and claim stores (tables in the sessions' database file, created by its
 * `prepareDatabase`). Reached by subpath: importing this loads better-sqlite3.
 */
export { createSqliteClaimStore } from './sqlite/claims.js';
export { createSqliteScheduleStore } from './sqlite/schedules.js';
export { SCHEDULES_DDL } from './sqlite/schema.js';
