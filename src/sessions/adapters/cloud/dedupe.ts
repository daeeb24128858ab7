import { createHash } from 'node:crypto';
import type { SessionStoreEntry } from '../../types.js';

/**
 * Idempotent appends: the SDK retries a failed batch, and a retry may overlap entries that were
 * stored after all (a lost response). An entry whose uuid is among the stream's most recent
 * `RECENT_UUIDS` uuids is dropped; entries without uuid are appended as given.
 *
 * The window is not stored in DynamoDB (it would be rewritten with the head on every append): it
 * is derived from the entries themselves — kept in process memory by whoever appended or loaded
 * the stream, and otherwise read back from the newest objects (`readRecent`).
 */
export const RECENT_UUIDS = 128;

/** 64-bit fingerprint of an entry uuid (collision odds ~2^-64 per pair: negligible). */
export function uuidFingerprint(uuid: string): string {
  return createHash('sha256').update(uuid).digest().subarray(0, 8).toString('base64url');
}

/** The entries of `batch` not in `recent` (and not repeated inside the batch), in order. */
export function freshEntries(batch: SessionStoreEntry[], recent: readonly string[]): SessionStoreEntry[] {
  const seen = new Set(recent);
  const out: SessionStoreEntry[] = [];
  for (const entry of batch) {
    if (typeof entry.uuid === 'string') {
      const fp = uuidFingerprint(entry.uuid);
      if (seen.has(fp)) continue;
      seen.add(fp);
    }
    out.push(entry);
  }
  return out;
}

/** The window after `entries` were appended to a stream whose window was `recent`. */
export function extendWindow(recent: readonly string[], entries: readonly SessionStoreEntry[]): string[] {
  const added: string[] = [];
  for (let i = entries.length - 1; i >= 0 && added.length < RECENT_UUIDS; i--) {
    const uuid = entries[i]!.uuid;
    if (typeof uuid === 'string') added.push(uuidFingerprint(uuid));
  }
  added.reverse();
  return [...recent, ...added].slice(-RECENT_UUIDS);
}
