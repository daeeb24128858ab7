import { randomBytes } from 'node:crypto';
import { CONVERSATION_RETENTION_DAYS, DAY_MS, type Clock } from '../../../core/clock.js';
import { transcriptId, transcriptPrefix, type TranscriptAddress } from '../../../core/keys.js';
import type { Logger } from '../../../core/logger.js';
import type { Lease } from '../../types.js';
import type { HeadStore } from './head.js';
import { splitLines } from './jsonl.js';
import type { ObjectStore } from './objects.js';
import { objectKey, pieces, type StreamReader } from './reader.js';
import { isTablePart, partName, type HeadItem, type ObjectRef } from './schema.js';
import type { TablePartStore } from './table-parts.js';

/** Where a stream's bytes live: inline in the head, in parts, in segments; and when they move. */
export interface CompactionPolicy {
  /** Compact once more than this many parts follow the segments (default 64). */
  maxParts: number;
  /** …or once the parts hold more than this many bytes (default 4 MiB). */
  maxPartBytes: number;
  /**
   * Target size of a segment (default 4 MiB). Compaction rewrites only the last, not yet full
   * segment plus the parts, so its cost is bounded whatever the transcript's length.
   */
  segmentBytes: number;
  /**
   * …or once the oldest referenced object is older than this (default 25 days): then every
   * segment is rewritten, so no live object outlives the S3 lifecycle rule (2 × retention).
   */
  refreshAfterMs: number;
  /** Objects no head references any more are deleted at a later compaction once older than this (wall clock, default 15 min). */
  garbageGraceMs: number;
  /**
   * A batch of at most this many JSONL bytes (default 1 KiB, e.g. the SDK's one-entry
   * `cost-state` batch) is kept inline in the head instead of becoming a part; the next part
   * carries the inline entries along. 0 disables.
   */
  inlineBytes: number;
  /** …as long as the head's inline entries stay within this many bytes (default 2 KiB). */
  tailBytes: number;
  /**
   * A part of at most this many bytes (default 350,000 — DynamoDB items are limited to 400 KB) is
   * a table part, created in the head's own transaction: an append is one DynamoDB request and
   * no S3 request. Larger parts go to S3 first. 0 sends every part to S3.
   */
  tablePartBytes: number;
}

export const DEFAULT_COMPACTION: CompactionPolicy = {
  maxParts: 64,
  maxPartBytes: 4 * 1024 * 1024,
  segmentBytes: 4 * 1024 * 1024,
  refreshAfterMs: CONVERSATION_RETENTION_DAYS * DAY_MS,
  garbageGraceMs: 15 * 60 * 1000,
  inlineBytes: 1024,
  tailBytes: 2048,
  tablePartBytes: 350_000,
};

export interface CompactorDeps {
  heads: HeadStore;
  objects: ObjectStore;
  tableParts: TablePartStore;
  reader: StreamReader;
  clock: Clock;
  logger: Logger;
  policy: CompactionPolicy;
}

export const nonce = (): string => randomBytes(4).toString('hex');

/**
 * Merges a stream's parts (and its last, not yet full segment) into segments and moves the head
 * to them — conditional on its `seq` and on exactly the pieces it merged, without changing `seq`: the content is the same, so caches
 * stay valid and a concurrent append (which `list_append`s its part) still lands after them.
 * Works on the stored bytes (nothing is re-serialised) and reads at most one segment plus the
 * parts. Superseded S3 objects stay readable for loads that already read the old head; a later
 * compaction deletes them once older than the grace period. Merged table parts are deleted at
 * once (a load that misses one re-reads the head). Failures only log: the append that triggered
 * it already committed.
 */
export function createCompactor(deps: CompactorDeps) {
  const { heads, objects, tableParts, reader, clock, logger, policy } = deps;

  function refreshDue(head: HeadItem): boolean {
    const objectCount = head.segments.length + head.parts.length;
    const old = (at: number): boolean => clock.now() - at > policy.refreshAfterMs;
    return (
      objectCount > 0 && (head.segments.some((s) => old(s.at)) || (head.partsAt > 0 && old(head.partsAt)))
    );
  }

  function needed(head: HeadItem): boolean {
    return head.parts.length > policy.maxParts || head.partBytes > policy.maxPartBytes || refreshDue(head);
  }

  /** Compact if the policy says so; the head to remember afterwards (`null`: unknown, re-read). */
  async function maybeCompact(
    addr: TranscriptAddress,
    head: HeadItem,
    fence?: Lease,
  ): Promise<HeadItem | null> {
    if (!needed(head)) return head;
    try {
      const full = refreshDue(head);
      const last = head.segments[head.segments.length - 1];
      const keep = full
        ? []
        : last && last.bytes < policy.segmentBytes
          ? head.segments.slice(0, -1)
          : head.segments;
      const merge = pieces(head).slice(keep.length);
      const bytes = Buffer.concat(await reader.readBytes(addr, head, merge));
      const merged = merge.flatMap((p) => (p.where === 'table' ? [p.token] : []));
      const now = Math.floor(clock.now());
      const created: ObjectRef[] = [];
      const stem = `seg-${String(head.seq).padStart(12, '0')}-${nonce()}`;
      for (const chunk of splitLines(bytes, policy.segmentBytes)) {
        const name = `${stem}-${created.length}.jsonl`;
        await objects.put(objectKey(addr, name), chunk.bytes);
        created.push({ name, entries: chunk.entries, bytes: chunk.bytes.byteLength, at: now });
      }
      const next: HeadItem = {
        ...head,
        segments: [...keep, ...created],
        parts: [],
        partBytes: 0,
        partsAt: 0,
      };
      if ((await heads.commit(head, next, { fence, samePieces: true })) !== 'ok') {
        await discard(created.map((r) => objectKey(addr, r.name)));
        return null;
      }
      await removeTableParts(addr, head.pk, merged);
      await collectGarbage(addr, next);
      return next;
    } catch (err) {
      logger.warn('[sessions:cloud] compaction failed; the stream stays readable from its parts', {
        stream: transcriptId(addr),
        err,
      });
      return null;
    }
  }

  async function collectGarbage(addr: TranscriptAddress, head: HeadItem): Promise<void> {
    const prefix = transcriptPrefix(addr);
    const live = new Set([
      ...head.segments.map((s) => s.name),
      ...head.parts.filter((t) => !isTablePart(t)).map(partName),
    ]);
    const cutoff = Date.now() - policy.garbageGraceMs;
    const listed = await objects.list(prefix);
    const dead = listed
      .filter((o) => {
        const rest = o.key.slice(prefix.length);
        return !rest.includes('/') && !live.has(rest) && o.lastModified < cutoff;
      })
      .map((o) => o.key);
    if (dead.length > 0) await discard(dead);
  }

  async function removeTableParts(addr: TranscriptAddress, pk: string, tokens: string[]): Promise<void> {
    if (tokens.length === 0) return;
    try {
      await tableParts.removeMany(pk, addr, tokens);
    } catch (err) {
      logger.warn('[sessions:cloud] could not delete merged table parts (their TTL will)', {
        stream: transcriptId(addr),
        count: tokens.length,
        err,
      });
    }
  }

  async function discard(keys: string[]): Promise<void> {
    try {
      await objects.deleteMany(keys);
    } catch (err) {
      logger.warn('[sessions:cloud] could not delete an unreferenced object (the lifecycle rule will)', {
        keys,
        err,
      });
    }
  }

  return { maybeCompact, discard };
}
