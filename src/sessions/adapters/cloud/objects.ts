import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { call, isNotFound, translate } from '../../../aws/index.js';

/** Bytes and requests that crossed the wire to S3 (benchmarks, `/debug`). */
export interface TransferMetrics {
  s3BytesWritten: number;
  s3BytesRead: number;
  s3Puts: number;
  s3Gets: number;
  dynamoReads: number;
  dynamoWrites: number;
  /**
   * Bytes DynamoDB accounts for the items written (`itemSize` of the whole item after each write:
   * the billing basis, however few attributes an update sent).
   */
  dynamoBytesWritten: number;
  /** Bytes of values the write requests carried (the changed attributes only). */
  dynamoRequestBytes: number;
  /**
   * Write capacity units of the transcript writes as DynamoDB reports them (`ConsumedCapacity`):
   * ⌈size / 1 KB⌉ per item written or deleted, twice inside a transaction.
   */
  dynamoWriteUnits: number;
  /** Read capacity units of the transcript reads as DynamoDB reports them. */
  dynamoReadUnits: number;
  /** Bytes of part bodies read back from the table. */
  dynamoBytesRead: number;
}

export function emptyMetrics(): TransferMetrics {
  return {
    s3BytesWritten: 0,
    s3BytesRead: 0,
    s3Puts: 0,
    s3Gets: 0,
    dynamoReads: 0,
    dynamoWrites: 0,
    dynamoBytesWritten: 0,
    dynamoRequestBytes: 0,
    dynamoWriteUnits: 0,
    dynamoReadUnits: 0,
    dynamoBytesRead: 0,
  };
}

/** Immutable JSONL objects in one bucket. Every object is written once and never modified. */
export interface ObjectStore {
  readonly bucket: string;
  /** Create an object; `If-None-Match: *` makes real S3 refuse to overwrite (the peers ignore it). */
  put(key: string, body: Buffer): Promise<void>;
  /** The object's bytes, or `null` if it does not exist. */
  get(key: string): Promise<Buffer | null>;
  /**
   * Stream the object's body to `onChunk` as it arrives (nothing is buffered whole); `false` if
   * the object does not exist.
   */
  read(key: string, onChunk: (chunk: Uint8Array) => void): Promise<boolean>;
  list(prefix: string): Promise<Array<{ key: string; lastModified: number }>>;
  deleteMany(keys: string[]): Promise<void>;
}

const SOURCE = 'sessions:s3';

export function createObjectStore(s3: S3Client, bucket: string, metrics: TransferMetrics): ObjectStore {
  return {
    bucket,
    async put(key, body) {
      await call(SOURCE, `PutObject ${key}`, () =>
        s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentType: 'application/x-ndjson',
            IfNoneMatch: '*',
          }),
        ),
      );
      metrics.s3Puts += 1;
      metrics.s3BytesWritten += body.byteLength;
    },
    async get(key) {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const u8 = res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
        const bytes = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength); // a view, not a copy
        metrics.s3Gets += 1;
        metrics.s3BytesRead += bytes.byteLength;
        return bytes;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw translate(SOURCE, `GetObject ${key}`, err);
      }
    },
    async read(key, onChunk) {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        metrics.s3Gets += 1;
        if (!res.Body) return true;
        for await (const chunk of res.Body as AsyncIterable<Uint8Array>) {
          metrics.s3BytesRead += chunk.byteLength;
          onChunk(chunk);
        }
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw translate(SOURCE, `GetObject ${key}`, err);
      }
    },
    async list(prefix) {
      const out: Array<{ key: string; lastModified: number }> = [];
      let token: string | undefined;
      do {
        const res = await call(SOURCE, `ListObjectsV2 ${prefix}`, () =>
          s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
        );
        for (const obj of res.Contents ?? []) {
          if (obj.Key) out.push({ key: obj.Key, lastModified: obj.LastModified?.getTime() ?? 0 });
        }
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
    async deleteMany(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        const res = await call(SOURCE, `DeleteObjects (${chunk.length})`, () =>
          s3.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
            }),
          ),
        );
        const failed = res.Errors?.filter((e) => e.Code !== 'NoSuchKey') ?? [];
        if (failed.length > 0) {
          throw translate(SOURCE, 'DeleteObjects', {
            name: failed[0]?.Code ?? 'DeleteError',
            message: `${failed.length} object(s) not deleted, first ${failed[0]?.Key ?? '?'}`,
          });
        }
      }
    },
  };
}
