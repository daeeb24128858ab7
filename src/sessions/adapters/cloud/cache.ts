import type { SessionStoreEntry } from '../../types.js';

/** A transcript this process loaded or appended, valid while the head's `etag` is unchanged. */
export interface CachedTranscript {
  etag: string;
  entries: SessionStoreEntry[];
  /** Stored JSONL bytes (the size accounted against the budget). */
  bytes: number;
}

/**
 * In-process LRU of transcripts bounded by stored bytes. A warm container validates an entry with
 * one small DynamoDB read of the head (`etag`) and then reads 0 bytes from S3. Entries are shared
 * with callers (`load` returns a fresh array of the same objects): callers must not mutate them.
 */
export interface TranscriptCache {
  get(id: string): CachedTranscript | undefined;
  set(id: string, value: CachedTranscript): void;
  delete(id: string): void;
  /** Drop every stream whose id starts with `prefix` (a session and its subpaths). */
  deletePrefix(prefix: string): void;
  clear(): void;
  readonly bytes: number;
}

export function createTranscriptCache(maxBytes: number): TranscriptCache {
  const map = new Map<string, CachedTranscript>();
  let total = 0;

  const remove = (id: string): void => {
    const old = map.get(id);
    if (old) {
      total -= old.bytes;
      map.delete(id);
    }
  };

  return {
    get(id) {
      const hit = map.get(id);
      if (hit) {
        map.delete(id);
        map.set(id, hit);
      }
      return hit;
    },
    set(id, value) {
      remove(id);
      if (value.bytes > maxBytes) return;
      map.set(id, value);
      total += value.bytes;
      for (const [oldest, entry] of map) {
        if (total <= maxBytes) break;
        map.delete(oldest);
        total -= entry.bytes;
      }
    },
    delete: remove,
    deletePrefix(prefix) {
      for (const id of [...map.keys()]) if (id.startsWith(prefix)) remove(id);
    },
    clear() {
      map.clear();
      total = 0;
    },
    get bytes() {
      return total;
    },
  };
}
