import type { StoredFile } from './types.js';

/** The order every store lists in: oldest first; files of the same millisecond by id. */
export function byCreation(a: StoredFile, b: StoredFile): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
