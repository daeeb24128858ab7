import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StorageError } from '../core/errors.js';

/** S3's limit on the parts of one multipart upload. */
const MAX_PARTS = 10_000;

/** One local file to upload as one object. */
export interface FileUpload {
  bucket: string;
  key: string;
  contentType: string;
  /** The local file; exactly `size` bytes of it are sent, and it must have them. */
  path: string;
  size: number;
  /** Bytes per part, and the size of the one buffer the upload reuses (≥ 5 MiB: S3's minimum part). */
  partBytes: number;
  /** Names the caller in our own errors (`files:s3`). */
  source: string;
}

/**
 * Uploads a local file through ONE buffer of `min(size, partBytes)` bytes, reused for every part:
 * up to `partBytes` it is one PutObject, else CreateMultipartUpload, one UploadPart at a time
 * (each awaited before the buffer is refilled), CompleteMultipartUpload. Streams allocate a new
 * backing store per read and per part, garbage V8 collects late: a 20 MB upload to fauxqs grew the
 * process's peak RSS by ~21 MB through `@aws-sdk/lib-storage`, by ~5 MB (the buffer) this way.
 *
 * Checksums, as `@aws-sdk/lib-storage` does them under the SDK's default
 * (`requestChecksumCalculation: 'WHEN_SUPPORTED'`): every body carries the CRC32 of the bytes read
 * (computed here, so it does not depend on the client's setting), the multipart upload is created
 * with `ChecksumAlgorithm: 'CRC32'` (S3 refuses parts whose checksum type differs from the
 * upload's), and CompleteMultipartUpload repeats each part's checksum as UploadPart answered it
 * (S3 requires them for an upload created with an algorithm).
 *
 * A failed multipart upload is aborted (best effort: if the abort fails too, the bucket's
 * abort-incomplete-multipart lifecycle rule removes the parts) and the original error rethrown,
 * untranslated. A file shorter than `size` is a `StorageError`.
 */
export async function uploadFile(s3: S3Client, upload: FileUpload): Promise<void> {
  const { size, partBytes } = upload;
  if (size > partBytes * MAX_PARTS) {
    throw new StorageError(
      `[${upload.source}] ${upload.key}: ${size} bytes need more than ${MAX_PARTS} parts of ${partBytes}`,
    );
  }
  const handle = await open(upload.path, 'r');
  try {
    const read = partReader(handle, Buffer.allocUnsafe(Math.min(size, partBytes)), upload);
    await (size <= partBytes ? putWhole(s3, upload, read) : putInParts(s3, upload, read));
  } finally {
    await handle.close();
  }
}

/** Reads `length` bytes at `position` into the start of `buffer`; a view of them (valid until the next read). */
type PartReader = (position: number, length: number) => Promise<Buffer>;

function partReader(handle: FileHandle, buffer: Buffer, upload: FileUpload): PartReader {
  return async (position, length) => {
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) {
        throw new StorageError(
          `[${upload.source}] ${upload.key}: the local file ended after ${position + filled} bytes, expected ${upload.size}`,
        );
      }
      filled += bytesRead;
    }
    return buffer.subarray(0, length);
  };
}

/** The base64 big-endian CRC32 S3 expects in `x-amz-checksum-crc32`. */
function crc32Base64(bytes: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes));
  return out.toString('base64');
}

async function putWhole(s3: S3Client, upload: FileUpload, read: PartReader): Promise<void> {
  const body = await read(0, upload.size);
  await s3.send(
    new PutObjectCommand({
      Bucket: upload.bucket,
      Key: upload.key,
      Body: body,
      ContentLength: body.length,
      ContentType: upload.contentType,
      ChecksumCRC32: crc32Base64(body),
    }),
  );
}

async function putInParts(s3: S3Client, upload: FileUpload, read: PartReader): Promise<void> {
  const { bucket: Bucket, key: Key, size, partBytes } = upload;
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket,
      Key,
      ContentType: upload.contentType,
      ChecksumAlgorithm: 'CRC32',
    }),
  );
  if (!UploadId)
    throw new StorageError(`[${upload.source}] CreateMultipartUpload ${Key} returned no UploadId`);
  try {
    const Parts: CompletedPart[] = [];
    for (let PartNumber = 1, position = 0; position < size; PartNumber++, position += partBytes) {
      const body = await read(position, Math.min(partBytes, size - position));
      const ChecksumCRC32 = crc32Base64(body);
      // Awaited in full: the next read overwrites the buffer this body is a view of.
      const res = await s3.send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId,
          PartNumber,
          Body: body,
          ContentLength: body.length,
          ChecksumAlgorithm: 'CRC32',
          ChecksumCRC32,
        }),
      );
      if (!res.ETag)
        throw new StorageError(`[${upload.source}] UploadPart ${PartNumber} of ${Key} returned no ETag`);
      // The checksum S3 stored for the part, as it answered it (like lib-storage): S3 always
      // does, and fauxqs, which neither answers nor parses it in Complete, then gets none.
      const checksum = res.ChecksumCRC32 ? { ChecksumCRC32: res.ChecksumCRC32 } : {};
      Parts.push({ PartNumber, ETag: res.ETag, ...checksum });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }));
  } catch (err) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
    throw err;
  }
}
