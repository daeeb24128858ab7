import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { TenantId } from '../../src/core/ids.js';
import type { ConversationKey } from '../../src/core/keys.js';
import type { RawBackend } from '../../src/sessions/conformance.js';

/**
 * Reads the cloud backend directly with plain S3/DynamoDB calls and its own spelling of the
 * layout (documented in docs/storage.md), sharing no code with the adapter — so a bug mirrored in
 * the adapter's read and write paths still fails the suite. Session items live in their own
 * partitions (`<tenant>#s#<session>`, `<tenant>#c#<chat>:<thread>`); an item written by a release
 * before docs/scale.md §8.1 under `pk` = tenant (same sort key) is read there when the new key has
 * none. A tenant's keys are every item whose `pk` is the tenant or starts with `<tenant>#`.
 */
export function createRawCloudBackend(deps: {
  s3: S3Client;
  doc: DynamoDBDocumentClient;
  bucket: string;
  table: string;
}): RawBackend & {
  listObjects(prefix: string): Promise<string[]>;
  getObject(key: string): Promise<string | null>;
  readHead(key: SessionKey): Promise<Record<string, unknown> | null>;
  listTableParts(key: SessionKey): Promise<Array<{ sk: string; text: string }>>;
} {
  const { s3, doc, bucket, table } = deps;

  async function listObjects(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async function getObject(key: string): Promise<string | null> {
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await res.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return null;
      throw err;
    }
  }

  async function required(key: string): Promise<string> {
    const text = await getObject(key);
    if (text === null) throw new Error(`raw: missing object ${key}`);
    return text;
  }

  /** The item at `sk` in partition `pk`, else a legacy item of `kind` at the tenant's partition. */
  async function getAt(pk: string, tenant: string, sk: string, kind: string) {
    for (const at of [pk, tenant]) {
      const res = await doc.send(
        new GetCommand({ TableName: table, Key: { pk: at, sk }, ConsistentRead: true }),
      );
      if (res.Item && res.Item.kind === kind) return res.Item;
    }
    return null;
  }

  async function readHead(key: SessionKey): Promise<Record<string, unknown> | null> {
    const sk = `head#${key.projectKey}#${key.sessionId}#${key.subpath ?? ''}`;
    return getAt(`${key.projectKey}#s#${key.sessionId}`, key.projectKey, sk, 'head');
  }

  /** Every table part item of the session (main and subpaths), sorted by key, in both layouts. */
  async function listTableParts(key: SessionKey): Promise<Array<{ sk: string; text: string }>> {
    const out: Array<{ sk: string; text: string }> = [];
    for (const pk of [`${key.projectKey}#s#${key.sessionId}`, key.projectKey]) {
      let start: Record<string, unknown> | undefined;
      do {
        const res = await doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': pk, ':prefix': `part#${key.projectKey}#${key.sessionId}#` },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of res.Items ?? []) {
          out.push({ sk: String(item.sk), text: Buffer.from(item.body as Uint8Array).toString('utf8') });
        }
        start = res.LastEvaluatedKey;
      } while (start);
    }
    return out.sort((a, b) => (a.sk < b.sk ? -1 : 1));
  }

  return {
    listObjects,
    getObject,
    readHead,
    listTableParts,

    async readEntries(key: SessionKey) {
      const head = await readHead(key);
      if (!head) return null;
      const dir =
        key.subpath === undefined
          ? `tenants/${key.projectKey}/sessions/${key.sessionId}/main/`
          : `tenants/${key.projectKey}/sessions/${key.sessionId}/sub/${key.subpath}/`;
      // Segments are `{name}` refs to S3 objects. Parts are tokens `<seq base36>.<nonce>` naming
      // the S3 object `part-<seq, 12 digits>-<nonce>.jsonl`, or `<seq base36>.<nonce>.d` naming the
      // DynamoDB item `part#<tenant>#<session>#<subpath>#<token>` (JSONL bytes in `body`); `tail`
      // holds inline JSONL lines.
      const texts: string[] = [];
      for (const s of head.segments as Array<{ name: string }>) texts.push(await required(dir + s.name));
      for (const t of head.parts as string[]) {
        const [seq36, nonce, where] = t.split('.');
        if (where === 'd') {
          // A part lives in its head's partition.
          const sk = `part#${key.projectKey}#${key.sessionId}#${key.subpath ?? ''}#${t}`;
          const res = await doc.send(
            new GetCommand({ TableName: table, Key: { pk: String(head.pk), sk }, ConsistentRead: true }),
          );
          const body = res.Item?.body as Uint8Array | undefined;
          if (!body) throw new Error(`raw: missing table part ${sk}`);
          texts.push(Buffer.from(body).toString('utf8'));
        } else {
          texts.push(
            await required(`${dir}part-${String(parseInt(seq36!, 36)).padStart(12, '0')}-${nonce}.jsonl`),
          );
        }
      }
      const out: SessionStoreEntry[] = [];
      for (const text of texts) {
        for (const line of text.split('\n')) if (line !== '') out.push(JSON.parse(line) as SessionStoreEntry);
      }
      for (const line of head.tail as string[]) out.push(JSON.parse(line) as SessionStoreEntry);
      return out;
    },

    async listTenantKeys(tenant: TenantId) {
      const objects = await listObjects(`tenants/${tenant}/`);
      const items: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const res = await doc.send(
          new ScanCommand({
            TableName: table,
            FilterExpression: 'pk = :pk OR begins_with(pk, :own)',
            ExpressionAttributeValues: { ':pk': tenant, ':own': `${tenant}#` },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of res.Items ?? []) items.push(`dynamodb:${String(item.pk)}/${String(item.sk)}`);
        start = res.LastEvaluatedKey;
      } while (start);
      return [...objects.map((k) => `s3:${k}`), ...items];
    },

    async listAllKeys() {
      const objects = await listObjects('');
      const items: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const res = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        for (const item of res.Items ?? []) items.push(`dynamodb:${String(item.pk)}/${String(item.sk)}`);
        start = res.LastEvaluatedKey;
      } while (start);
      return [...objects.map((k) => `s3:${k}`), ...items];
    },

    async readTurn(key: ConversationKey, requestId: string) {
      const sk = `turn#${key.tenant}:${key.chat}:${key.thread}#${requestId}`;
      const item = await getAt(`${key.tenant}#c#${key.chat}:${key.thread}`, key.tenant, sk, 'turn');
      if (!item) return null;
      return {
        state: String(item.state),
        sessionId: String(item.sessionId),
        entriesBefore: Number(item.entriesBefore),
        result: typeof item.result === 'string' ? item.result : null,
        delivered: item.delivered === true,
        expiresAt: Number(item.expiresAt),
      };
    },

    async readConversation(key: ConversationKey) {
      const sk = `conv#${key.tenant}:${key.chat}:${key.thread}`;
      const item = await getAt(`${key.tenant}#c#${key.chat}:${key.thread}`, key.tenant, sk, 'conversation');
      if (!item) return null;
      return {
        sessionId: String(item.sessionId),
        expiresAt: Number(item.expiresAt),
        turns: Number(item.turns),
        ...(item.pendingApproval === undefined ? {} : { pendingApproval: String(item.pendingApproval) }),
        ...(item.model === undefined ? {} : { model: String(item.model) }),
        ...(item.agent === undefined ? {} : { agent: String(item.agent) }),
      };
    },

    async readSession(key: ConversationKey, sessionId: string) {
      const sk = `sess#${key.tenant}:${key.chat}:${key.thread}#${sessionId}`;
      const res = await doc.send(
        new GetCommand({ TableName: table, Key: { pk: key.tenant, sk }, ConsistentRead: true }),
      );
      const item = res.Item;
      if (!item) return null;
      return {
        tenant: String(item.pk),
        chat: String(item.chat),
        thread: String(item.thread),
        sessionId: String(item.sessionId),
        createdAt: Number(item.createdAt),
        updatedAt: Number(item.updatedAt),
        turns: Number(item.turns),
        // An empty title is stored as no attribute.
        title: item.title === undefined ? '' : String(item.title),
        costUsd: Number(item.costUsd),
        model: item.model === undefined ? null : String(item.model),
        origin: String(item.origin),
        historyUntil: Number(item.historyUntil),
        keepUntil: Number(item.keepUntil),
        ttl: Number(item.ttl),
      };
    },
  };
}
