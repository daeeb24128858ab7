import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../core/errors.js';
import { PART_BYTES } from './s3.js';
import { uploadFile, type FileUpload } from './s3-upload.js';

/** What the stub S3 saw of one request, read while the request was in flight. */
interface Seen {
  op:
    'PutObject' | 'CreateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload' | 'AbortMultipartUpload';
  headers: Record<string, string>;
  body?: Buffer;
  /** The CRC32 of the body as it was when sent (the buffer is refilled afterwards). */
  bodyCrc?: string;
  text?: string;
}

const crc = (bytes: Buffer): string => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes));
  return out.toString('base64');
};

interface StubRequest {
  method: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * An S3 client answering from a stub request handler (no network): it records each request and
 * answers like S3; `onRequest` runs first and may throw to fail that request.
 */
function stubS3(onRequest?: (seen: Seen, all: Seen[]) => Promise<void> | void): {
  s3: S3Client;
  seen: Seen[];
} {
  const seen: Seen[] = [];
  const reply = (statusCode: number, headers: Record<string, string> = {}, xml = '') => ({
    response: { statusCode, headers, body: Buffer.from(xml) },
  });
  const handle = async (request: StubRequest) => {
    const q = request.query;
    const op: Seen['op'] =
      request.method === 'DELETE'
        ? 'AbortMultipartUpload'
        : 'uploads' in q
          ? 'CreateMultipartUpload'
          : 'partNumber' in q
            ? 'UploadPart'
            : 'uploadId' in q
              ? 'CompleteMultipartUpload'
              : 'PutObject';
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    const entry: Seen = {
      op,
      headers: { ...request.headers },
      ...(body ? { body, bodyCrc: crc(body) } : {}),
      ...(typeof request.body === 'string' ? { text: request.body } : {}),
    };
    seen.push(entry);
    await onRequest?.(entry, seen);
    if (op === 'CreateMultipartUpload') {
      return reply(
        200,
        {},
        '<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>',
      );
    }
    if (op === 'CompleteMultipartUpload') {
      return reply(
        200,
        {},
        '<CompleteMultipartUploadResult><ETag>"all"</ETag></CompleteMultipartUploadResult>',
      );
    }
    if (op === 'AbortMultipartUpload') return reply(204);
    // S3 answers the checksum it verified for a part (fauxqs answers none).
    const headers: Record<string, string> = { etag: `"${seen.length}"` };
    const sent = request.headers['x-amz-checksum-crc32'];
    if (op === 'UploadPart' && sent) headers['x-amz-checksum-crc32'] = sent;
    return reply(200, headers);
  };
  const config: S3ClientConfig = {
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: { handle } as unknown as S3ClientConfig['requestHandler'],
  };
  return { s3: new S3Client(config), seen };
}

describe('uploadFile (stub S3)', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'omni-s3-upload-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const job = async (bytes: Buffer): Promise<FileUpload> => {
    const path = join(dir, 'f.bin');
    await writeFile(path, bytes);
    return {
      bucket: 'b',
      key: 'k',
      contentType: 'application/octet-stream',
      path,
      size: bytes.length,
      partBytes: PART_BYTES,
      source: 'files:s3',
    };
  };

  it('sends a 12 MiB file in 5 MiB parts of one reused buffer, each with its CRC32, and completes with them', async () => {
    const bytes = randomBytes(12 * 1024 * 1024);
    const { s3, seen } = stubS3();
    await uploadFile(s3, await job(bytes));
    expect(seen.map((s) => s.op)).toEqual([
      'CreateMultipartUpload',
      'UploadPart',
      'UploadPart',
      'UploadPart',
      'CompleteMultipartUpload',
    ]);
    expect(seen[0]!.headers['x-amz-checksum-algorithm']).toBe('CRC32');
    const parts = seen.filter((s) => s.op === 'UploadPart');
    const slices = [0, 1, 2].map((i) => bytes.subarray(i * PART_BYTES, (i + 1) * PART_BYTES));
    parts.forEach((part, i) => {
      expect(part.bodyCrc).toBe(crc(slices[i]!));
      expect(part.headers['x-amz-checksum-crc32']).toBe(crc(slices[i]!));
    });
    // One buffer: every part's body is a view of the same memory.
    expect(new Set(parts.map((p) => p.body!.buffer)).size).toBe(1);
    const complete = seen[4]!.text ?? '';
    for (const [i, slice] of slices.entries()) {
      expect(complete).toContain(`<PartNumber>${i + 1}</PartNumber>`);
      expect(complete).toContain(`<ChecksumCRC32>${crc(slice)}</ChecksumCRC32>`);
    }
    s3.destroy();
  });

  it('a file up to one part is one PutObject carrying its CRC32, with a buffer of its own size', async () => {
    const bytes = randomBytes(3000);
    const { s3, seen } = stubS3();
    await uploadFile(s3, await job(bytes));
    expect(seen.map((s) => s.op)).toEqual(['PutObject']);
    expect(seen[0]!.body!.equals(bytes)).toBe(true);
    expect(seen[0]!.headers['x-amz-checksum-crc32']).toBe(crc(bytes));
    expect(seen[0]!.headers['content-type']).toBe('application/octet-stream');
    s3.destroy();
  });

  it('a file that shrinks during the upload is refused and the upload aborted', async () => {
    const upload = await job(randomBytes(12 * 1024 * 1024));
    const { s3, seen } = stubS3(async (s) => {
      if (s.op === 'UploadPart') await truncate(upload.path, 6 * 1024 * 1024);
    });
    const err: unknown = await uploadFile(s3, upload).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(String(err)).toMatch(
      /\[files:s3\] k: the local file ended after 6291456 bytes, expected 12582912/,
    );
    expect(seen.map((s) => s.op)).toEqual(['CreateMultipartUpload', 'UploadPart', 'AbortMultipartUpload']);
    s3.destroy();
  });

  it('a failed abort does not hide the error that caused it', async () => {
    const upload = await job(randomBytes(6 * 1024 * 1024));
    const { s3, seen } = stubS3((s) => {
      if (s.op === 'UploadPart' || s.op === 'AbortMultipartUpload') throw new Error(`injected: ${s.op}`);
    });
    await expect(uploadFile(s3, upload)).rejects.toThrow('injected: UploadPart');
    expect(seen.map((s) => s.op)).toEqual(['CreateMultipartUpload', 'UploadPart', 'AbortMultipartUpload']);
    s3.destroy();
  });

  it('a 20 MB upload grows ArrayBuffer memory by about one part, not by the file', async () => {
    // Written from one small buffer, so no 20 MB of garbage is waiting for a GC during the upload.
    const upload = { ...(await job(Buffer.alloc(0))), size: 20 * 1000 * 1000 };
    const chunk = randomBytes(1000 * 1000);
    const out = await open(upload.path, 'w');
    for (let i = 0; i < 20; i++) await out.write(chunk);
    await out.close();
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const { s3 } = stubS3(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    });
    await uploadFile(s3, upload);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    // Streams (lib-storage) left ≥ 20 MB of garbage here; one reused buffer is 5 MiB.
    expect(peak - before).toBeLessThan(PART_BYTES + 2 * 1024 * 1024);
    s3.destroy();
  });
});
