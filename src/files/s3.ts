import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { call, isNotFound, translate } from '../aws/index.js';
import { StorageError } from '../core/errors.js';
import type { ConversationKey } from '../core/keys.js';
import { assertKey, assertStorable } from './check.js';
import { isFileId } from './ids.js';
import { mimeFor } from './kinds.js';
import { byCreation } from './order.js';
import { conversationPart, durablePart, parseDurableRest, tenantFilesPrefix } from './paths.js';
import { uploadFile } from './s3-upload.js';
import type { FileId, FileStore, StoredFile } from './types.js';

const SOURCE = 'files:s3';

/** Bytes per part of a multipart upload, one part in flight: the one buffer an upload reuses. */
export const PART_BYTES = 5 * 1024 * 1024;

/**
 * Files in S3 under `tenants/<tenant>/files/<chat>/<thread>/<id>/<direction>-<kind>-<createdAt>/<name>`
 * (the bucket's `tenants/` lifecycle applies, like transcripts). Uploads read the local file into
 * one reused buffer of `PART_BYTES` (`s3-upload.ts`: one PutObject up to 5 MiB, else a multipart
 * upload with one 5 MiB part in flight); a failed multipart upload is aborted, so a file is either
 * wholly there or absent. Reads need only ListObjectsV2 (everything but the size is in the key)
 * and GetObject.
 */
export function createS3FileStore(s3: S3Client, bucket: string): FileStore {
  const prefix = (key: ConversationKey): string => `${tenantFilesPrefix(key)}${conversationPart(key)}`;

  const list = async (key: ConversationKey, under = ''): Promise<StoredFile[]> => {
    assertKey(key);
    const base = prefix(key);
    const out: StoredFile[] = [];
    let token: string | undefined;
    do {
      const res = await call(SOURCE, `ListObjectsV2 ${base}${under}`, () =>
        s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: `${base}${under}`, ContinuationToken: token }),
        ),
      );
      for (const obj of res.Contents ?? []) {
        const parsed = obj.Key?.startsWith(base) ? parseDurableRest(obj.Key.slice(base.length)) : undefined;
        if (!parsed) continue;
        out.push({ ...parsed, key, size: obj.Size ?? 0, mime: mimeFor(parsed.name, parsed.kind) });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort(byCreation);
  };

  const get = async (key: ConversationKey, id: FileId): Promise<StoredFile | undefined> => {
    assertKey(key);
    return isFileId(id) ? (await list(key, `${id}/`))[0] : undefined;
  };

  return {
    async put(file, localPath) {
      assertStorable(file, SOURCE);
      const Key = `${tenantFilesPrefix(file.key)}${durablePart(file)}`;
      const { size } = await stat(localPath);
      if (size !== file.size) {
        throw new StorageError(`[${SOURCE}] ${file.name} is ${size} bytes, expected ${file.size}`);
      }
      try {
        await uploadFile(s3, {
          bucket,
          key: Key,
          contentType: file.mime,
          path: localPath,
          size,
          partBytes: PART_BYTES,
          source: SOURCE,
        });
      } catch (err) {
        throw translate(SOURCE, `Upload ${Key}`, err);
      }
    },
    list: (key) => list(key),
    get,
    async open(key, id) {
      const file = await get(key, id);
      if (!file) return undefined;
      const Key = `${tenantFilesPrefix(key)}${durablePart(file)}`;
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        return { file, body: res.Body as Readable };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw translate(SOURCE, `GetObject ${Key}`, err);
      }
    },
  };
}
