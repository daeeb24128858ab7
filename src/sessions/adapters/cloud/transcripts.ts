import { createHash, randomBytes } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { CONVERSATION_RETENTION_DAYS, DAY_MS, type Clock } from '../../../core/clock.js';
import { FencedWriteError, SessionHistoryError, StorageError } from '../../../core/errors.js';
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
import type { Lease, SessionKey, SessionStoreEntry, TranscriptStat, TranscriptStore } from '../../types.js';
import { call, cancellationCodes, isConditionalCheckFailed, translate } from './aws.js';
import type { TranscriptCache } from './cache.js';
import { parseJsonl, toJsonl, type ObjectStore, type TransferMetrics } from './objects.js';
import {
  HEAD_PREFIX,
  headSk,
  leaseSk,
  parseHead,
  sessionHeadsPrefix,
  type HeadItem,
  type ObjectRef,
} from './schema.js';

/** When a stream's parts are merged into segments, and how long superseded objects live. */
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
}

export const DEFAULT_COMPACTION: CompactionPolicy = {
  maxParts: 64,
  maxPartBytes: 4 * 1024 * 1024,
  segmentBytes: 4 * 1024 * 1024,
  refreshAfterMs: CONVERSATION_RETENTION_DAYS * DAY_MS,
  garbageGraceMs: 15 * 60 * 1000,
};

/**
 * Entries remembered per stream for idempotent retries: the last 128 uuids, each as a 64-bit hash
 * (11 base64url characters), so the head stays ~2 KB for this part whatever the batch sizes.
 */
export const RECENT_UUIDS = 128;

/** 64-bit fingerprint of an entry uuid (collision odds ~2^-64 per pair: negligible). */
export function uuidFingerprint(uuid: string): string {
  return createHash('sha256').update(uuid).digest().subarray(0, 8).toString('base64url');
}
/** Heads (and the S3 lifecycle rule) outlive the conversation map by this factor of the retention. */
export const HEAD_RETENTION_MS = 2 * CONVERSATION_RETENTION_DAYS * DAY_MS;

const MAX_COMMIT_ATTEMPTS = 25;
const LOAD_CONCURRENCY = 8;

export interface TranscriptDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  objects: ObjectStore;
  cache: TranscriptCache;
  clock: Clock;
  logger: Logger;
  compaction: CompactionPolicy;
  metrics: TransferMetrics;
  /** Per-stream in-process queues so appends of one process never race each other. */
  locks: Map<string, Promise<unknown>>;
  /**
   * Last head this process saw per stream: an append starts from it instead of reading the head
   * again (the commit is conditional on its etag; a stale one costs one retry with a fresh read).
   */
  heads: Map<string, HeadItem>;
}

const MAX_KNOWN_HEADS = 4096;

function remember(heads: Map<string, HeadItem>, id: string, head: HeadItem | null): void {
  heads.delete(id);
  if (head === null) return;
  heads.set(id, head);
  if (heads.size > MAX_KNOWN_HEADS) {
    const oldest = heads.keys().next();
    if (!oldest.done) heads.delete(oldest.value);
  }
}

type CommitResult = 'ok' | 'conflict' | 'fenced';

const nonce = (): string => randomBytes(6).toString('hex');
const seqName = (kind: 'part' | 'seg', seq: number): string =>
  `${kind}-${String(seq).padStart(12, '0')}-${nonce()}.jsonl`;

function label(addr: TranscriptAddress): string {
  return addr.subpath === undefined
    ? `session ${addr.sessionId}`
    : `session ${addr.sessionId} (${addr.subpath})`;
}

/**
 * The S3+DynamoDB `TranscriptStore`. With `fence`, every head write is a transaction that also
 * checks the lease item (token, owner, not expired), so a writer that lost its lease can upload a
 * part but can never make a head reference it.
 */
export function createCloudTranscripts(deps: TranscriptDeps, fence?: Lease): TranscriptStore {
  const { doc, table, objects, cache, clock, logger, metrics } = deps;
  const source = 'cloud';

  const objectKey = (addr: TranscriptAddress, name: string): string => `${transcriptPrefix(addr)}${name}`;

  async function readHead(addr: TranscriptAddress): Promise<HeadItem | null> {
    const res = await call(source, `GetItem head ${transcriptId(addr)}`, () =>
      doc.send(
        new GetCommand({
          TableName: table,
          Key: { pk: addr.tenant, sk: headSk(addr) },
          ConsistentRead: true,
        }),
      ),
    );
    metrics.dynamoReads += 1;
    return parseHead(res.Item, transcriptId(addr));
  }

  async function commitHead(next: HeadItem, prev: HeadItem | null, fenced: boolean): Promise<CommitResult> {
    const condition = prev
      ? {
          ConditionExpression: '#etag = :etag',
          ExpressionAttributeNames: { '#etag': 'etag' },
          ExpressionAttributeValues: { ':etag': prev.etag },
        }
      : { ConditionExpression: 'attribute_not_exists(pk)' };
    try {
      if (fenced && fence) {
        await doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: table,
                  Key: { pk: fence.key.tenant, sk: leaseSk(fence.key) },
                  ConditionExpression: '#token = :token AND #owner = :owner AND #exp > :now',
                  ExpressionAttributeNames: { '#token': 'token', '#owner': 'owner', '#exp': 'expiresAt' },
                  ExpressionAttributeValues: {
                    ':token': fence.token,
                    ':owner': fence.owner,
                    ':now': clock.now(),
                  },
                },
              },
              { Put: { TableName: table, Item: next, ...condition } },
            ],
          }),
        );
      } else {
        await doc.send(new PutCommand({ TableName: table, Item: next, ...condition }));
      }
      metrics.dynamoWrites += 1;
      metrics.dynamoBytesWritten += Buffer.byteLength(JSON.stringify(next));
      return 'ok';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'conflict';
      const codes = cancellationCodes(err);
      if (codes) {
        if (codes[0] === 'ConditionalCheckFailed') return 'fenced';
        if (codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict'))
          return 'conflict';
      }
      if (codes === null && String((err as { name?: unknown }).name) === 'TransactionConflictException')
        return 'conflict';
      throw translate(source, `commit head ${next.sk}`, err);
    }
  }

  /** Run `fn` after every earlier operation queued on the same stream in this process. */
  async function serialized<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = deps.locks.get(id) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    deps.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (deps.locks.get(id) === tail) deps.locks.delete(id);
    }
  }

  function fresh(entries: SessionStoreEntry[], recent: readonly string[]): SessionStoreEntry[] {
    const seen = new Set(recent);
    const out: SessionStoreEntry[] = [];
    for (const entry of entries) {
      const uuid = typeof entry.uuid === 'string' ? uuidFingerprint(entry.uuid) : undefined;
      if (uuid !== undefined) {
        if (seen.has(uuid)) continue;
        seen.add(uuid);
      }
      out.push(entry);
    }
    return out;
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
    await serialized(id, async () => {
      let knownHead: HeadItem | null | undefined = deps.heads.get(id);
      const cached = cache.get(id);
      for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
        const head = knownHead === undefined ? await readHead(addr) : knownHead;
        knownHead = undefined;
        const batch = fresh(entries, head?.recent ?? []);
        if (batch.length === 0) return;
        const body = toJsonl(batch);
        const now = Math.floor(clock.now());
        const name = seqName('part', head?.seq ?? 0);
        const ref: ObjectRef = { name, entries: batch.length, bytes: body.byteLength, at: now };
        await objects.put(objectKey(addr, name), body);
        const uuids = batch.flatMap((e) => (typeof e.uuid === 'string' ? [uuidFingerprint(e.uuid)] : []));
        const next: HeadItem = {
          pk: addr.tenant,
          sk: headSk(addr),
          kind: 'head',
          tenant: addr.tenant,
          sessionId: addr.sessionId,
          subpath: addr.subpath ?? '',
          etag: nonce(),
          seq: (head?.seq ?? 0) + 1,
          entries: (head?.entries ?? 0) + batch.length,
          bytes: (head?.bytes ?? 0) + body.byteLength,
          createdAt: head?.createdAt ?? now,
          mtime: now,
          ttl: Math.ceil((now + HEAD_RETENTION_MS) / 1000),
          segments: head?.segments ?? [],
          parts: [...(head?.parts ?? []), ref],
          recent: [...(head?.recent ?? []), ...uuids].slice(-RECENT_UUIDS),
        };
        const result = await commitHead(next, head, fence !== undefined);
        if (result !== 'ok') {
          remember(deps.heads, id, null);
          await discard([objectKey(addr, name)]);
          if (result === 'fenced') {
            throw new FencedWriteError(
              `[sessions:cloud] write to ${label(addr)} rejected: lease ${fence?.token ?? '?'} of ${fence?.owner ?? '?'} is no longer current`,
            );
          }
          cache.delete(id);
          await backoff(attempt);
          continue;
        }
        remember(deps.heads, id, next);
        // Keep the warm copy in step: what a later load would parse from the stored bytes.
        const base = head === null ? [] : cached && cached.etag === head.etag ? cached.entries : null;
        if (base) {
          const parsed: SessionStoreEntry[] = [];
          parseJsonl(body, parsed);
          cache.set(id, { etag: next.etag, entries: base.concat(parsed), bytes: next.bytes });
        } else {
          cache.delete(id);
        }
        await maybeCompact(addr, next);
        return;
      }
      throw new StorageError(
        `[sessions:cloud] append to ${label(addr)} kept conflicting after ${MAX_COMMIT_ATTEMPTS} attempts`,
        {
          code: 'storage_contention',
        },
      );
    });
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

  function refreshDue(head: HeadItem): boolean {
    const refs = [...head.segments, ...head.parts];
    return refs.length > 1 && refs.some((r) => clock.now() - r.at > deps.compaction.refreshAfterMs);
  }

  function needsCompaction(head: HeadItem): boolean {
    const policy = deps.compaction;
    const partBytes = head.parts.reduce((sum, p) => sum + p.bytes, 0);
    return head.parts.length > policy.maxParts || partBytes > policy.maxPartBytes || refreshDue(head);
  }

  /**
   * Merge the parts (and the last, not yet full segment) into segments and move the head to them
   * (conditional on its etag). Works on the stored bytes — nothing is re-serialised — and reads at
   * most one segment plus the parts. Superseded objects stay readable for loads that already read
   * the old head; a later compaction deletes them once older than the grace period. Failures only
   * log: the append already committed.
   */
  async function maybeCompact(addr: TranscriptAddress, head: HeadItem): Promise<void> {
    if (!needsCompaction(head)) return;
    const id = transcriptId(addr);
    const policy = deps.compaction;
    try {
      const full = refreshDue(head);
      const last = head.segments[head.segments.length - 1];
      const keep = full
        ? []
        : last && last.bytes < policy.segmentBytes
          ? head.segments.slice(0, -1)
          : head.segments;
      const merge = [...head.segments.slice(keep.length), ...head.parts];
      const buffers = await fetchAll(addr, merge);
      const now = Math.floor(clock.now());
      const created: ObjectRef[] = [];
      for (const chunk of splitLines(Buffer.concat(buffers), policy.segmentBytes)) {
        const name = seqName('seg', head.seq).replace('.jsonl', `-${created.length}.jsonl`);
        await objects.put(objectKey(addr, name), chunk.bytes);
        created.push({ name, entries: chunk.entries, bytes: chunk.bytes.byteLength, at: now });
      }
      const next: HeadItem = { ...head, etag: nonce(), segments: [...keep, ...created], parts: [] };
      const result = await commitHead(next, head, fence !== undefined);
      if (result !== 'ok') {
        remember(deps.heads, id, null);
        await discard(created.map((r) => objectKey(addr, r.name)));
        return;
      }
      remember(deps.heads, id, next);
      const cached = cache.get(id);
      if (cached && cached.etag === head.etag) cache.set(id, { ...cached, etag: next.etag });
      await collectGarbage(addr, next);
    } catch (err) {
      logger.warn('[sessions:cloud] compaction failed; the stream stays readable from its parts', {
        stream: id,
        err,
      });
    }
  }

  async function collectGarbage(addr: TranscriptAddress, head: HeadItem): Promise<void> {
    const prefix = transcriptPrefix(addr);
    const live = new Set([...head.segments, ...head.parts].map((r) => r.name));
    const cutoff = Date.now() - deps.compaction.garbageGraceMs;
    const listed = await objects.list(prefix);
    const dead = listed
      .filter((o) => {
        const rest = o.key.slice(prefix.length);
        return !rest.includes('/') && !live.has(rest) && o.lastModified < cutoff;
      })
      .map((o) => o.key);
    if (dead.length > 0) await discard(dead);
  }

  /** The bytes of `refs`, fetched in parallel, each checked against its recorded size. */
  async function fetchAll(addr: TranscriptAddress, refs: ObjectRef[]): Promise<Buffer[]> {
    const buffers: Buffer[] = new Array<Buffer>(refs.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < refs.length) {
        const i = next++;
        const ref = refs[i]!;
        const key = objectKey(addr, ref.name);
        const bytes = await objects.get(key);
        if (bytes === null) {
          throw new SessionHistoryError(
            `[sessions:cloud] history of ${label(addr)} is incomplete: object ${i + 1} of ${refs.length} ` +
              `(s3://${objects.bucket}/${key}) referenced by its head is missing. The session cannot be resumed ` +
              `as it was; start a new one (/new) or restore the object.`,
          );
        }
        if (bytes.byteLength !== ref.bytes) {
          throw new SessionHistoryError(
            `[sessions:cloud] history of ${label(addr)} is truncated: s3://${objects.bucket}/${key} holds ` +
              `${bytes.byteLength} bytes, its head recorded ${ref.bytes}.`,
          );
        }
        buffers[i] = bytes;
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, refs.length) }, worker));
    return buffers;
  }

  async function readAll(addr: TranscriptAddress, head: HeadItem): Promise<SessionStoreEntry[]> {
    const refs = [...head.segments, ...head.parts];
    const buffers: Array<Buffer | null> = await fetchAll(addr, refs);
    const out: SessionStoreEntry[] = [];
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      const count = parseJsonl(buffers[i]!, out);
      buffers[i] = null;
      if (count !== ref.entries) {
        throw new SessionHistoryError(
          `[sessions:cloud] history of ${label(addr)} is corrupt: ${objectKey(addr, ref.name)} ` +
            `parsed to ${count ?? 'invalid JSONL'} entries, its head recorded ${ref.entries}.`,
        );
      }
    }
    if (out.length !== head.entries) {
      throw new SessionHistoryError(
        `[sessions:cloud] history of ${label(addr)} is truncated: ${out.length} entries found, its head recorded ${head.entries}.`,
      );
    }
    return out;
  }

  async function load(key: SessionKey): Promise<SessionStoreEntry[] | null> {
    const addr = transcriptAddress(key);
    const head = await readHead(addr);
    const id = transcriptId(addr);
    remember(deps.heads, id, head);
    if (head === null) {
      cache.delete(id);
      return null;
    }
    const cached = cache.get(id);
    if (cached && cached.etag === head.etag) return cached.entries.slice();
    const entries = await readAll(addr, head);
    cache.set(id, { etag: head.etag, entries, bytes: head.bytes });
    return entries.slice();
  }

  async function queryHeads(tenant: string, prefix: string): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await call(source, `Query ${prefix}`, () =>
        doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix },
            ProjectionExpression: 'sk, sessionId, subpath, mtime',
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      metrics.dynamoReads += 1;
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async function listSessions(projectKey: string): Promise<Array<{ sessionId: string; mtime: number }>> {
    const tenant = tenantFromProjectKey(projectKey);
    const items = await queryHeads(tenant, `${HEAD_PREFIX}${tenant}#`);
    return items
      .filter((i) => i.subpath === '' && typeof i.sessionId === 'string')
      .map((i) => ({ sessionId: String(i.sessionId), mtime: Math.floor(Number(i.mtime)) }));
  }

  async function listSubkeys(key: { projectKey: string; sessionId: string }): Promise<string[]> {
    const tenant = tenantFromProjectKey(key.projectKey);
    const sessionId = parseSessionId(key.sessionId);
    const items = await queryHeads(tenant, sessionHeadsPrefix(tenant, sessionId));
    return items
      .filter((i) => typeof i.subpath === 'string' && i.subpath !== '')
      .map((i) => String(i.subpath));
  }

  async function remove(key: SessionKey): Promise<void> {
    const addr = transcriptAddress(key);
    const heads =
      addr.subpath === undefined
        ? (await queryHeads(addr.tenant, sessionHeadsPrefix(addr.tenant, addr.sessionId))).map((i) =>
            String(i.sk),
          )
        : [headSk(addr)];
    // Heads first: a reader then sees "no session" rather than a head with missing parts.
    for (const sk of heads) {
      await call(source, `DeleteItem ${sk}`, () =>
        doc.send(new DeleteCommand({ TableName: table, Key: { pk: addr.tenant, sk } })),
      );
      metrics.dynamoWrites += 1;
    }
    for (const id of [...deps.heads.keys()]) if (id.startsWith(transcriptId(addr))) deps.heads.delete(id);
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

  async function stat(key: SessionKey): Promise<TranscriptStat | null> {
    const addr = transcriptAddress(key);
    const head = await readHead(addr);
    if (head === null) return null;
    return {
      entries: head.entries,
      bytes: head.bytes,
      mtime: head.mtime,
      location: `s3://${objects.bucket}/${transcriptPrefix(addr)}`,
    };
  }

  return { append, load, listSessions, listSubkeys, delete: remove, stat };
}

/** Split JSONL bytes at line ends into chunks of at most `max` bytes (a longer line stays whole). */
export function splitLines(bytes: Buffer, max: number): Array<{ bytes: Buffer; entries: number }> {
  const out: Array<{ bytes: Buffer; entries: number }> = [];
  let start = 0;
  while (start < bytes.length) {
    let end = start;
    let entries = 0;
    while (end < bytes.length) {
      const nl = bytes.indexOf(0x0a, end);
      const lineEnd = nl === -1 ? bytes.length : nl + 1;
      if (entries > 0 && lineEnd - start > max) break;
      end = lineEnd;
      entries += 1;
    }
    out.push({ bytes: bytes.subarray(start, end), entries });
    start = end;
  }
  return out;
}

async function backoff(attempt: number): Promise<void> {
  const cap = Math.min(200, 5 * 2 ** attempt);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}
