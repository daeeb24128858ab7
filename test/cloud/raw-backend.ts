import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { TenantId } from '../../src/core/ids.js';
import type { ConversationKey } from '../../src/core/keys.js';
import type { RawBackend } from '../../src/sessions/conformance.js';

/**
 * Reads the cloud backend directly with plain S3/DynamoDB calls and its own spelling of the
 * layout (documented in docs/storage.md), sharing no code with the adapter — so a bug mirrored in
 * the adapter's read and write paths still fails the suite.
 */
export function createRawCloudBackend(deps: {
  s3: S3Client;
  doc: DynamoDBDocumentClient;
  bucket: string;
  table: string;
}): RawBackend & {
  listObjects(prefix: string): Promise<string[]>;
  getObject(key: string): Promise<string | null>;
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

  return {
    listObjects,
    getObject,

    async readEntries(key: SessionKey) {
      const sk = `head#${key.projectKey}#${key.sessionId}#${key.subpath ?? ''}`;
      const res = await doc.send(
        new GetCommand({ TableName: table, Key: { pk: key.projectKey, sk }, ConsistentRead: true }),
      );
      const head = res.Item;
      if (!head) return null;
      const dir =
        key.subpath === undefined
          ? `tenants/${key.projectKey}/sessions/${key.sessionId}/main/`
          : `tenants/${key.projectKey}/sessions/${key.sessionId}/sub/${key.subpath}/`;
      const refs = [
        ...(head.segments as Array<{ name: string }>),
        ...(head.parts as Array<{ name: string }>),
      ];
      const out: SessionStoreEntry[] = [];
      for (const ref of refs) {
        const text = await getObject(dir + ref.name);
        if (text === null) throw new Error(`raw: missing object ${dir}${ref.name}`);
        for (const line of text.split('\n')) if (line !== '') out.push(JSON.parse(line) as SessionStoreEntry);
      }
      return out;
    },

    async listTenantKeys(tenant: TenantId) {
      const objects = await listObjects(`tenants/${tenant}/`);
      const items: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const res = await doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': tenant },
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

    async readConversation(key: ConversationKey) {
      const sk = `conv#${key.tenant}:${key.chat}:${key.thread}`;
      const res = await doc.send(
        new GetCommand({ TableName: table, Key: { pk: key.tenant, sk }, ConsistentRead: true }),
      );
      if (!res.Item) return null;
      return { sessionId: String(res.Item.sessionId), expiresAt: Number(res.Item.expiresAt) };
    },
  };
}
