import type { HeadItem } from './schema.js';

/** What this process knows of a stream: the last head it saw and the dedupe window at that head. */
export interface KnownStream {
  head: HeadItem;
  /** `RECENT_UUIDS` fingerprints as of `head`, or `null` if not known (read back when needed). */
  recent: string[] | null;
}

const MAX_KNOWN_STREAMS = 2048;

/**
 * Per-process memory of streams (bounded, least recently used dropped) and per-stream queues, so
 * appends of one process to one stream never race each other. An append starts from the known
 * head instead of reading it again: the commit is conditional on its `seq`, so a stale one costs
 * one retry with a fresh read.
 */
export class StreamState {
  private readonly known = new Map<string, KnownStream>();
  private readonly locks = new Map<string, Promise<unknown>>();

  get(id: string): KnownStream | undefined {
    return this.known.get(id);
  }

  set(id: string, value: KnownStream | null): void {
    this.known.delete(id);
    if (value === null) return;
    this.known.set(id, value);
    if (this.known.size > MAX_KNOWN_STREAMS) {
      const oldest = this.known.keys().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
  }

  /** Forget every stream whose id starts with `prefix`. */
  forgetPrefix(prefix: string): void {
    for (const id of [...this.known.keys()]) if (id.startsWith(prefix)) this.known.delete(id);
  }

  /** Run `fn` after every earlier operation queued on the same stream in this process. */
  async serialized<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }
}

/** `gen:seq` — identifies a stream's content (compaction keeps it; the cache is keyed by it). */
export const contentTag = (head: HeadItem): string => `${head.gen}:${head.seq}`;
