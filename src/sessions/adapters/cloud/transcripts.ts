import { CONVERSATION_RETENTION_DAYS, DAY_MS, type Clock } from '../../../core/clock.js';
import { FencedWriteError, StorageError } from '../../../core/errors.js';
import { parseSessionId } from '../../../core/ids.js';
import type { Logger } from '../../../core/logger.js';
import {
  sessionPrefix,
  tenantFromProjectKey,
  transcriptAddress,
  transcriptId,
  transcriptPrefix,
  type TranscriptAddress,
} from '../../../core/keys.js';
import type { Lease, SessionKey, SessionStoreEntry, TranscriptStore } from '../../types.js';
import type { TranscriptCache } from './cache.js';
import { createCompactor, nonce, type CompactionPolicy } from './compaction.js';
import { extendWindow, freshEntries } from './dedupe.js';
import type { HeadStore } from './head.js';
import { JsonlParser, toJsonl } from './jsonl.js';
import type { ObjectStore } from './objects.js';
import { markerDue, markerItem, markerTtl } from './index-markers.js';
import { createStreamReader, label, MissingPieceError, objectKey } from './reader.js';
import {
  headSk,
  HEAD_INDEX_KIND,
  partName,
  partToken,
  sessionPk,
  type HeadItem,
  type IndexMarker,
  type TablePartItem,
} from './schema.js';
import { contentTag, type StreamState } from './state.js';
import { createSessionHeads } from './session-heads.js';
import { foldSummary } from './summaries.js';
import type { TablePartStore } from './table-parts.js';

/** Heads (and the S3 lifecycle rule) outlive the conversation map by this factor of the retention. */
export const HEAD_RETENTION_MS = 2 * CONVERSATION_RETENTION_DAYS * DAY_MS;
/** Session markers live one head retention beyond their head (index-markers.ts). */
const MARKERS = { retentionMs: HEAD_RETENTION_MS };

const MAX_COMMIT_ATTEMPTS = 25;
/** Loads that found a piece gone because a compaction moved the head meanwhile start over this often. */
const MAX_LOAD_ATTEMPTS = 3;

export interface TranscriptDeps {
  heads: HeadStore;
  objects: ObjectStore;
  tableParts: TablePartStore;
  cache: TranscriptCache;
  clock: Clock;
  logger: Logger;
  compaction: CompactionPolicy;
  state: StreamState;
}

/** A stream's first head, in partition `pk` (`SessionHeads.partition`). */
function newHead(addr: TranscriptAddress, pk: string, now: number): HeadItem {
  return {
    pk,
    sk: headSk(addr),
    kind: 'head',
    gen: nonce(),
    seq: 0,
    entries: 0,
    bytes: 0,
    createdAt: now,
    mtime: now,
    ttl: 0,
    segments: [],
    parts: [],
    partBytes: 0,
    partsAt: 0,
    tail: [],
  };
}

/** The entries as a load would return them (parsed from the stored bytes). */
function storedForm(body: Buffer): SessionStoreEntry[] {
  const parser = new JsonlParser();
  parser.push(body);
  parser.end();
  return parser.entries;
}

const tailBytes = (head: HeadItem): number => head.tail.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

/**
 * The S3+DynamoDB `TranscriptStore`. An append is one DynamoDB request: a transaction creating
 * the batch's table part and moving the head (tiny batches: an update of the head alone, which
 * keeps them inline); only a part too large for an item is uploaded to S3 first. With `fence`,
 * the transaction also checks the lease, so a writer that lost its lease can never make a head
 * reference anything it wrote.
 */
export function createCloudTranscripts(deps: TranscriptDeps, fence?: Lease): TranscriptStore {
  const { heads, objects, tableParts, cache, clock, state, compaction: policy } = deps;
  const reader = createStreamReader(objects, tableParts);
  const sessionHeads = createSessionHeads(heads, fence !== undefined);
  const compactor = createCompactor({ ...deps, reader, policy });

  /** The dedupe window at `head`: from what this process holds, else read back from S3. */
  async function windowAt(addr: TranscriptAddress, head: HeadItem | null): Promise<string[]> {
    if (head === null) return [];
    const id = transcriptId(addr);
    const known = state.get(id);
    if (known?.recent && contentTag(known.head) === contentTag(head)) return known.recent;
    const cached = cache.get(id);
    if (cached && cached.etag === contentTag(head)) return extendWindow([], cached.entries);
    return reader.readRecent(addr, head);
  }

  /**
   * Build the next head for `batch`: inline, or referencing a new part — a table part to create
   * with the head, or an S3 object uploaded here (its key returned, to delete if the commit fails).
   * A main head in its session's partition carries its session marker along when one is due.
   */
  async function prepare(
    addr: TranscriptAddress,
    key: SessionKey,
    head: HeadItem | null,
    body: Buffer,
    stored: SessionStoreEntry[],
  ): Promise<{ next: HeadItem; partKey: string | null; tablePart?: TablePartItem; index?: IndexMarker }> {
    const now = Math.floor(clock.now());
    const base = head ?? newHead(addr, await sessionHeads.partition(addr), now);
    const next: HeadItem = {
      ...base,
      seq: base.seq + 1,
      entries: base.entries + stored.length,
      bytes: base.bytes + body.byteLength,
      mtime: now,
      ttl: Math.ceil((now + HEAD_RETENTION_MS) / 1000),
    };
    let index: IndexMarker | undefined;
    if (addr.subpath === undefined && next.pk !== addr.tenant && markerDue(base.indexTtl, next.ttl)) {
      next.indexTtl = markerTtl(MARKERS, next.ttl);
      index = markerItem(addr.tenant, next.sk, HEAD_INDEX_KIND, next.indexTtl);
    }
    const { partKey, tablePart } = await place(addr, key, head, base, next, body, stored, now);
    return { next, partKey, tablePart, index };
  }

  async function place(
    addr: TranscriptAddress,
    key: SessionKey,
    head: HeadItem | null,
    base: HeadItem,
    next: HeadItem,
    body: Buffer,
    stored: SessionStoreEntry[],
    now: number,
  ): Promise<{ partKey: string | null; tablePart?: TablePartItem }> {
    if (addr.subpath === undefined) next.summary = await foldSummary(head, key, stored, now);
    const inline =
      body.byteLength <= policy.inlineBytes && tailBytes(base) + body.byteLength <= policy.tailBytes;
    if (inline) {
      next.tail = [...base.tail, ...body.toString('utf8').split('\n').slice(0, -1)];
      return { partKey: null };
    }
    // The part carries the inline entries before it along.
    const part =
      base.tail.length > 0 ? Buffer.concat([Buffer.from(`${base.tail.join('\n')}\n`), body]) : body;
    const inTable = part.byteLength <= policy.tablePartBytes;
    const token = partToken(next.seq, nonce(), inTable ? 'table' : 'object');
    next.parts = [...base.parts, token];
    next.partBytes = base.partBytes + part.byteLength;
    next.partsAt = base.partsAt || now;
    next.tail = [];
    if (inTable) return { partKey: null, tablePart: tableParts.item(next.pk, addr, token, part, next.ttl) };
    const partKey = objectKey(addr, partName(token));
    await objects.put(partKey, part);
    return { partKey };
  }

  async function append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void> {
    const addr = transcriptAddress(key);
    if (fence && fence.key.tenant !== addr.tenant) {
      throw new FencedWriteError(
        `[sessions:cloud] a lease of tenant ${fence.key.tenant} cannot write to tenant ${addr.tenant}`,
      );
    }
    if (entries.length === 0) return;
    const id = transcriptId(addr);
    await state.serialized(id, async () => {
      let known = state.get(id)?.head;
      for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
        const head = known === undefined ? await sessionHeads.head(addr) : known;
        known = undefined;
        const recent = await windowAt(addr, head);
        const batch = freshEntries(entries, recent);
        if (batch.length === 0) return;
        const body = toJsonl(batch);
        const stored = storedForm(body);
        const { next, partKey, tablePart, index } = await prepare(addr, key, head, body, stored);
        const result = await heads
          .commit(head, next, { fence, part: tablePart, index })
          .catch((err: unknown) => {
            // Unknown outcome (e.g. a lost response): forget what we knew; a retry re-reads the head.
            state.set(id, null);
            sessionHeads.forget();
            cache.delete(id);
            throw err;
          });
        if (result !== 'ok') {
          state.set(id, null);
          sessionHeads.forget();
          if (partKey) await compactor.discard([partKey]);
          if (result === 'fenced') {
            throw new FencedWriteError(
              `[sessions:cloud] write to ${label(addr)} rejected: lease ${fence?.token ?? '?'} of ${fence?.owner ?? '?'} is no longer current`,
            );
          }
          cache.delete(id);
          await backoff(attempt);
          continue;
        }
        // Keep the warm copy in step: what a later load would parse from the stored bytes.
        const cached = cache.get(id);
        const base = head === null ? [] : cached && cached.etag === contentTag(head) ? cached.entries : null;
        if (base) cache.set(id, { etag: contentTag(next), entries: base.concat(stored), bytes: next.bytes });
        else cache.delete(id);
        state.set(id, { head: next, recent: extendWindow(recent, stored) });
        sessionHeads.committed(addr, next);
        const compacted = await compactor.maybeCompact(addr, next, fence);
        if (compacted !== next) {
          state.set(id, compacted && { head: compacted, recent: extendWindow(recent, stored) });
          if (compacted) sessionHeads.committed(addr, compacted);
          else sessionHeads.forget();
        }
        return;
      }
      throw new StorageError(
        `[sessions:cloud] append to ${label(addr)} kept conflicting after ${MAX_COMMIT_ATTEMPTS} attempts`,
        { code: 'storage_contention' },
      );
    });
  }

  async function load(key: SessionKey): Promise<SessionStoreEntry[] | null> {
    const addr = transcriptAddress(key);
    const id = transcriptId(addr);
    for (let attempt = 1; ; attempt++) {
      const head = await sessionHeads.head(addr);
      if (head === null) {
        state.set(id, null);
        cache.delete(id);
        return null;
      }
      const cached = cache.get(id);
      let entries: SessionStoreEntry[];
      if (cached && cached.etag === contentTag(head)) {
        entries = cached.entries;
      } else {
        try {
          entries = await reader.readAll(addr, head);
        } catch (err) {
          sessionHeads.forget();
          if (err instanceof MissingPieceError && attempt < MAX_LOAD_ATTEMPTS && (await moved(addr, head)))
            continue;
          throw err;
        }
        cache.set(id, { etag: contentTag(head), entries, bytes: head.bytes });
      }
      state.set(id, { head, recent: extendWindow([], entries) });
      return entries.slice();
    }
  }

  /** Whether the stream's pieces changed since `head` was read (a compaction merged them). */
  async function moved(addr: TranscriptAddress, head: HeadItem): Promise<boolean> {
    const now = await heads.read(addr);
    return (
      now !== null &&
      JSON.stringify([now.segments, now.parts]) !== JSON.stringify([head.segments, head.parts])
    );
  }

  const mainHeads = (projectKey: string, attributes: string[]) =>
    heads.listMain(tenantFromProjectKey(projectKey), attributes);

  async function remove(key: SessionKey): Promise<void> {
    const addr = transcriptAddress(key);
    const whole = addr.subpath === undefined;
    let found: { pk: string; sks: string[] } | null;
    if (whole) found = await heads.locate(addr.tenant, addr.sessionId);
    else {
      const head = await heads.read(addr);
      found = head && { pk: head.pk, sks: [head.sk] };
    }
    // Heads first: a reader then sees "no session" rather than a head with missing parts; then the
    // parts (in the heads' partition), then the session marker (a listing skips it meanwhile).
    // With no head left (a delete retried after a crash) a session's parts are looked for in its
    // own partition.
    sessionHeads.forget();
    if (found) for (const sk of found.sks) await heads.remove(found.pk, sk);
    const partsAt = found?.pk ?? (whole ? sessionPk(addr.tenant, addr.sessionId) : null);
    if (partsAt !== null) await tableParts.removeAll(partsAt, addr, whole);
    if (whole) await heads.removeIndex(addr.tenant, headSk(addr));
    state.forgetPrefix(transcriptId(addr));
    if (addr.subpath === undefined) {
      cache.deletePrefix(transcriptId(addr));
      const listed = await objects.list(sessionPrefix(addr.tenant, addr.sessionId));
      await objects.deleteMany(listed.map((o) => o.key));
    } else {
      cache.delete(transcriptId(addr));
      const prefix = transcriptPrefix(addr);
      const listed = await objects.list(prefix);
      await objects.deleteMany(
        listed.filter((o) => !o.key.slice(prefix.length).includes('/')).map((o) => o.key),
      );
    }
  }

  return {
    append,
    load,
    async listSessions(projectKey) {
      const found = await mainHeads(projectKey, []);
      return found.map((h) => ({ sessionId: h.sessionId, mtime: Math.floor(Number(h.item.mtime)) }));
    },
    async listSessionSummaries(projectKey) {
      const found = await mainHeads(projectKey, ['summary']);
      return found.map((h) => ({
        sessionId: h.sessionId,
        mtime: Math.floor(Number(h.item.mtime)),
        data:
          typeof h.item.summary === 'string' ? (JSON.parse(h.item.summary) as Record<string, unknown>) : {},
      }));
    },
    async listSubkeys(key) {
      return sessionHeads.subpaths(tenantFromProjectKey(key.projectKey), parseSessionId(key.sessionId));
    },
    delete: remove,
    async stat(key) {
      const addr = transcriptAddress(key);
      const head = await heads.read(addr);
      if (head === null) return null;
      return {
        entries: head.entries,
        bytes: head.bytes,
        mtime: head.mtime,
        // The head and recent parts are DynamoDB items; compacted segments are S3 objects.
        location: `dynamodb://${heads.table}/${head.pk}/${head.sk} + s3://${objects.bucket}/${transcriptPrefix(addr)}`,
      };
    },
  };
}

async function backoff(attempt: number): Promise<void> {
  const cap = Math.min(200, 5 * 2 ** attempt);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}
