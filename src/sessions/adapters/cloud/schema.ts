import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { StorageError } from '../../../core/errors.js';
import type { RequestId, SessionId, TenantId } from '../../../core/ids.js';
import {
  conversationKeyString,
  transcriptId,
  turnRecordId,
  type ConversationKey,
  type TranscriptAddress,
} from '../../../core/keys.js';

/**
 * Single-table DynamoDB layout. Every partition key starts with the validated tenant id: tenant ids
 * are `[a-z0-9-]` (`core/ids.ts`), so the text before the first `#` of a `pk` is always its tenant,
 * and no key built here can be another tenant's id, one of its usage shards `<tenant>#u<k>`, its send
 * budget `<tenant>#tgsend#…`, or one of its session / conversation partitions (session ids are UUIDs,
 * chat and thread ids have no `#` or `:`).
 *
 * A turn's writes go to per-session and per-conversation partitions (docs/scale.md §8.1); the
 * tenant's own partition (`pk` = tenant) keeps the listings (index markers, written when a session or
 * conversation is created), the catalog and the stores that are not per turn.
 *
 * | item         | pk                        | sk                                   | written by                       |
 * |--------------|---------------------------|--------------------------------------|----------------------------------|
 * | session head | `<tenant>#s#<session>`    | `head#<tenant>#<session>#<subpath?>` | every append (conditional Update)|
 * | table part   | its head's pk             | `part#<tenant>#<session>#<subpath?>#<token>` | an append, in the head's transaction; deleted by compaction |
 * | session marker | tenant                  | the main head's sk, `kind: 'head-index'` | the main head's creation (same transaction); refreshed with it (`indexTtl`) |
 * | conversation | `<tenant>#c#<chat>:<thread>` | `conv#<tenant>:<chat>:<thread>`   | `touch` (conditional Update)     |
 * | conv. marker | tenant                    | the conversation's sk, `kind: 'conversation-index'` | the conversation's creation; refreshed (`indexTtl`) |
 * | lease        | `<tenant>#c#<chat>:<thread>` | `lease#<tenant>:<chat>:<thread>`  | acquire/heartbeat/release        |
 * | turn ledger  | `<tenant>#c#<chat>:<thread>` | `turn#<tenant>:<chat>:<thread>#<req>`| runner: begin/complete/delivered |
 * | approval     | tenant | `appr#<tenant>#<approvalId>`         | approvals: create (with its log item, one transaction), resolve (conditional on `pending`), setNotice |
 * | approval log | tenant | `apprlog#<tenant>:<chat>:<thread>#<createdAt, 13 digits>#<approvalId>` | create; the conversation's audit index (`list` = one Query, newest first) |
 * | grants       | tenant | `grant#<tenant>:<chat>:<thread>#<session>` | approvals: grant (`rules` list, conditional append) |
 * | schedule     | tenant | `sched#<name>`                       | schedules: create (with the index, one transaction), replace (conditional on `version`), setTopic, markDue, remove |
 * | sched. index | tenant | `schedidx`                           | schedules: create/remove (`names` string set; `size(names) < 100` is the per-tenant limit) |
 * | claim        | tenant | `claim#<key>`                        | claims: putIfAbsent, increment (conditional on absent/expired, or under the limit), delete |
 *
 * The session catalog (`sess#…`, one small UpdateItem a turn), usage (its own shards) and dedupe
 * keep their own partitions (`catalog/dynamodb.ts`, `usage/adapters/dynamodb/schema.ts`).
 *
 * **Legacy layout** (releases before §8.1): heads, table parts, conversations, leases and ledger
 * records under `pk` = tenant with the same sort keys. An item lives where it was found: reads
 * look at the new key and, while legacy reads are on (`OMNICLOUD_SESSION_LEGACY_KEYS`, default on),
 * at the legacy one; an item found there keeps being written there (a head's parts follow the
 * head's `pk`); new items go to the new keys only. Leases are read and written at the new key only.
 *
 * `ttl` (epoch seconds) is the table's TTL attribute: conversations 25 days after the last turn,
 * heads 2× that (the S3 lifecycle horizon), leases a day after expiry, turn-ledger records 7 days
 * after their last write, approval requests and their log items `expiresAt` + the usage retention
 * (400 days by default), grants 25 days after the last grant, claims at their expiry (rounded up
 * to the second); schedules and their index never expire. A marker expires one retention period
 * after the item it indexes (the item's `indexTtl`), so it always outlives it. Item layouts of the
 * approvals: `approvals/store/dynamodb/schema.ts`; of schedules and claims:
 * `schedules/store/dynamodb/schema.ts`.
 */
export const PK = 'pk';
export const SK = 'sk';
export const TTL_ATTRIBUTE = 'ttl';

export const HEAD_PREFIX = 'head#';
export const PART_PREFIX = 'part#';
export const CONVERSATION_PREFIX = 'conv#';
export const LEASE_PREFIX = 'lease#';
export const TURN_PREFIX = 'turn#';

/** `kind` of the tenant-partition markers that list sessions and conversations. */
export const HEAD_INDEX_KIND = 'head-index';
export const CONVERSATION_INDEX_KIND = 'conversation-index';

/** Partition of every head and table part of one session (main and subpaths). */
export function sessionPk(tenant: TenantId, sessionId: SessionId): string {
  return `${tenant}#s#${sessionId}`;
}

/** Partition of one conversation's map item, lease and turn-ledger records. */
export function conversationPk(key: ConversationKey): string {
  return `${key.tenant}#c#${key.chat}:${key.thread}`;
}

/**
 * A small item on the tenant's partition naming a session or conversation that lives in its own
 * partition (same `sk` as the item it indexes), so listings stay one strongly consistent Query
 * plus one BatchGetItem.
 */
export interface IndexMarker {
  pk: string;
  sk: string;
  kind: typeof HEAD_INDEX_KIND | typeof CONVERSATION_INDEX_KIND;
  ttl: number;
}

/** `CreateTable` input for the storage table (tests, the deployment template mirrors it). */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: PK, AttributeType: 'S' },
      { AttributeName: SK, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: PK, KeyType: 'HASH' },
      { AttributeName: SK, KeyType: 'RANGE' },
    ],
  };
}

export function headSk(addr: TranscriptAddress): string {
  return `${HEAD_PREFIX}${transcriptId(addr)}`;
}

/** Prefix of every head (main + subpaths) of one session. */
export function sessionHeadsPrefix(tenant: TenantId, sessionId: TranscriptAddress['sessionId']): string {
  return headSk({ tenant, sessionId, subpath: undefined });
}

export function conversationSk(key: ConversationKey): string {
  return `${CONVERSATION_PREFIX}${conversationKeyString(key)}`;
}

export function leaseSk(key: ConversationKey): string {
  return `${LEASE_PREFIX}${conversationKeyString(key)}`;
}

/** Sort key of a turn-ledger record (the request id is validated by `turnRecordId`). */
export function turnSk(key: ConversationKey, requestId: RequestId): string {
  return `${TURN_PREFIX}${turnRecordId(key, requestId)}`;
}

/** One immutable S3 segment referenced by a head (name is relative to the stream's prefix). */
export interface ObjectRef {
  name: string;
  entries: number;
  bytes: number;
  /** Creation time (epoch ms, injected clock): drives the lifecycle refresh. */
  at: number;
}

/**
 * A transcript stream's head: everything needed to load it, and the optimistic-concurrency
 * version. Kept small (typically < 1 KB) because every append rewrites it: DynamoDB bills a write
 * by the size of the whole item, however few attributes an `UpdateItem` changes.
 * `sessionId`/`subpath` are not stored — they are part of `sk`.
 */
export interface HeadItem {
  pk: string;
  sk: string;
  kind: 'head';
  /** Random tag of this incarnation of the stream (set at creation); `gen:seq` names a content state. */
  gen: string;
  /** Commit counter: +1 on every append; every write is conditional on it. Compaction keeps it. */
  seq: number;
  entries: number;
  bytes: number;
  createdAt: number;
  mtime: number;
  ttl: number;
  /** Compacted prefix of the stream: JSONL segments of at most `segmentBytes` (one larger entry excepted). */
  segments: ObjectRef[];
  /**
   * Tokens of the parts after the segments, in order: `<seq base36>.<nonce>` names an S3 object
   * (`partName`), `<seq base36>.<nonce>.d` a table part item (`tablePartSk`).
   */
  parts: string[];
  /** Stored bytes of those parts and the creation time of the oldest (0 if none). */
  partBytes: number;
  partsAt: number;
  /** JSONL lines (no newline) of small batches kept inline until the next part folds them in. */
  tail: string[];
  /** Main stream only: the SDK's session summary `data` (foldSessionSummary), as JSON. */
  summary?: string;
  /** Main stream at its own partition only: the `ttl` of its session marker (refreshed when due). */
  indexTtl?: number;
}

/** S3 object name of an object part's token (`part-<seq12>-<nonce>.jsonl`, so names sort in append order). */
export function partName(token: string): string {
  const [seq36, nonce] = token.split('.');
  const seq = parseInt(seq36 ?? '', 36);
  return `part-${String(seq).padStart(12, '0')}-${nonce ?? ''}.jsonl`;
}

export function partToken(seq: number, nonce: string, where: 'object' | 'table'): string {
  return `${seq.toString(36)}.${nonce}${where === 'table' ? TABLE_PART_SUFFIX : ''}`;
}

const TABLE_PART_SUFFIX = '.d';
const PART_TOKEN = /^[0-9a-z]+\.[0-9a-z]+(\.d)?$/;

/** Whether a part token names a table part item (else an S3 object). */
export function isTablePart(token: string): boolean {
  return token.endsWith(TABLE_PART_SUFFIX);
}

/** Sort key of a table part item: `part#<tenant>#<session>#<subpath>#<token>`. */
export function tablePartSk(addr: TranscriptAddress, token: string): string {
  return `${tablePartsPrefix(addr)}${token}`;
}

/** Prefix of the table parts of one stream (main or one subpath), or of a whole session (main + subpaths). */
export function tablePartsPrefix(addr: TranscriptAddress, wholeSession = false): string {
  return wholeSession
    ? `${PART_PREFIX}${addr.tenant}#${addr.sessionId}#`
    : `${PART_PREFIX}${transcriptId(addr)}#`;
}

/**
 * A part kept in the table instead of S3: written in the same transaction as the head that
 * references it (so a part exists exactly when a head committed it), read back with one
 * BatchGetItem, deleted once compaction has moved it into an S3 segment.
 */
export interface TablePartItem {
  pk: string;
  sk: string;
  kind: 'part';
  /** The part's JSONL bytes, exactly as an S3 part would hold them. */
  body: Uint8Array;
  ttl: number;
}

/** Session id and subpath ('' for main) of a head, from its sort key `head#<tenant>#<session>#<subpath>`. */
export function headIdentity(sk: string): { sessionId: string; subpath: string } {
  const parts = sk.split('#');
  return { sessionId: parts[2] ?? '', subpath: parts.slice(3).join('#') };
}

export interface ConversationItem {
  pk: string;
  sk: string;
  kind: 'conversation';
  chat: string;
  thread: string;
  sessionId: string;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  turns: number;
  ttl: number;
  /** The approval request the session's last turn ended on (set or removed by every touch). */
  pendingApproval?: string;
  /** The conversation's own model and agent (`configure`); kept by touch and switchTo. */
  model?: string;
  agent?: string;
  /** The last write's random id: its retry after a lost response recognises it (conversations.ts). */
  writeId?: string;
  /** At its own partition only: the `ttl` of its conversation marker (refreshed when due). */
  indexTtl?: number;
}

export interface TurnItem {
  pk: string;
  sk: string;
  kind: 'turn';
  requestId: string;
  state: 'started' | 'done';
  sessionId: string;
  entriesBefore: number;
  turnsBefore: number;
  startedAt: number;
  completedAt?: number;
  /** The runner's serialized result (`done` only). */
  result?: string;
  delivered: boolean;
  expiresAt: number;
  ttl: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isRef(value: unknown): value is ObjectRef {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    typeof value.entries === 'number' &&
    typeof value.bytes === 'number' &&
    typeof value.at === 'number'
  );
}

/** Validate a head read back from DynamoDB (a malformed head is an operator problem, said clearly). */
export function parseHead(item: Record<string, unknown> | undefined, where: string): HeadItem | null {
  if (item === undefined) return null;
  const ok =
    item.kind === 'head' &&
    typeof item.gen === 'string' &&
    typeof item.seq === 'number' &&
    typeof item.entries === 'number' &&
    typeof item.bytes === 'number' &&
    typeof item.mtime === 'number' &&
    typeof item.partBytes === 'number' &&
    Array.isArray(item.segments) &&
    item.segments.every(isRef) &&
    Array.isArray(item.parts) &&
    item.parts.every((p) => typeof p === 'string' && PART_TOKEN.test(p)) &&
    Array.isArray(item.tail) &&
    item.tail.every((l) => typeof l === 'string') &&
    (item.summary === undefined || typeof item.summary === 'string');
  if (!ok)
    throw new StorageError(`[sessions:cloud] malformed session head ${where}`, { code: 'storage_corrupt' });
  return item as unknown as HeadItem;
}
