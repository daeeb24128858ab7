import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFauxqs, type FauxqsPeer } from '../../test/peers/fauxqs.js';
import { isNotFound } from '../aws/index.js';
import { runFileStoreConformance, type RawFileBackend } from './conformance.js';
import { chatKey, drain, fileOf } from './conformance/fixtures.js';
import { PART_BYTES, createS3FileStore } from './s3.js';

let peer: FauxqsPeer;
let s3: S3Client;
let buckets = 0;

const clientConfig = (): S3ClientConfig => ({
  endpoint: peer.endpoint,
  region: peer.region,
  credentials: peer.credentials,
  forcePathStyle: true,
  maxAttempts: 1,
});

beforeAll(async () => {
  peer = await startFauxqs();
  s3 = new S3Client(clientConfig());
});
afterAll(async () => {
  s3?.destroy();
  await peer?.stop();
});

function newBucket(): string {
  const name = `files-${++buckets}-${randomBytes(3).toString('hex')}`;
  peer.createBucket(name);
  return name;
}

/** Reads the bucket with plain S3 calls and its own spelling of the layout (docs/storage.md). */
function s3Raw(bucket: string): RawFileBackend {
  return {
    async readBytes(f) {
      const Key = `tenants/${f.key.tenant}/files/${f.key.chat}/${f.key.thread}/${f.id}/${f.direction}-${f.kind}-${f.createdAt}/${f.name}`;
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async listAll() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        keys.push(...(res.Contents ?? []).map((o) => o.Key ?? ''));
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
  };
}

runFileStoreConformance({
  name: 's3 (fauxqs)',
  async create() {
    const bucket = newBucket();
    return {
      store: createS3FileStore(s3, bucket),
      raw: s3Raw(bucket),
      async cleanup() {
        peer.server.emptyBucket(bucket);
      },
    };
  },
});

/** A client whose commands are recorded by name, and that fails the `failPart`-th UploadPart. */
function recordingClient(failPart?: number): { client: S3Client; commands: string[] } {
  const client = new S3Client(clientConfig());
  const commands: string[] = [];
  let parts = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(context.commandName ?? '?');
      if (context.commandName === 'UploadPartCommand' && ++parts === failPart) {
        throw Object.assign(new Error('injected: connection reset during UploadPart'), {
          name: 'InternalError',
          $metadata: { httpStatusCode: 500 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { client, commands };
}

describe('s3 file store: large files (multipart on fauxqs)', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'omni-files-s3-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const TWELVE_MB = 12 * 1024 * 1024;

  it('stores a 12 MB file in 5 MB parts and streams it back byte for byte', async () => {
    const bucket = newBucket();
    const { client, commands } = recordingClient();
    const store = createS3FileStore(client, bucket);
    const bytes = randomBytes(TWELVE_MB);
    const path = join(dir, 'big.bin');
    await writeFile(path, bytes);
    const file = fileOf(chatKey(), bytes, { kind: 'other', name: 'heap.dump' });
    await store.put(file, path);
    expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(Math.ceil(TWELVE_MB / PART_BYTES));
    expect(commands).toContain('CreateMultipartUploadCommand');
    expect(commands).toContain('CompleteMultipartUploadCommand');
    expect(commands).not.toContain('PutObjectCommand');
    expect(await store.get(file.key, file.id)).toEqual(file);
    const body = await drain((await store.open(file.key, file.id))!.body);
    expect(createHash('sha256').update(body).digest('hex')).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
    expect((await s3Raw(bucket).readBytes(file))?.equals(bytes)).toBe(true);
    client.destroy();
    peer.server.emptyBucket(bucket);
  });

  it('a multipart upload failing at its second part is aborted: nothing listed, no upload left open', async () => {
    const bucket = newBucket();
    const { client, commands } = recordingClient(2);
    const store = createS3FileStore(client, bucket);
    const path = join(dir, 'big.bin');
    const bytes = randomBytes(TWELVE_MB);
    await writeFile(path, bytes);
    const file = fileOf(chatKey(), bytes, { kind: 'other', name: 'heap.dump' });
    await expect(store.put(file, path)).rejects.toThrow(/\[files:s3\] Upload .*injected/);
    expect(commands).toContain('AbortMultipartUploadCommand');
    expect(await store.list(file.key)).toEqual([]);
    expect(await s3Raw(bucket).listAll()).toEqual([]);
    // fauxqs refuses to delete a bucket with an upload in progress: this proves the abort.
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
  });

  it('a small file is one PutObject', async () => {
    const bucket = newBucket();
    const { client, commands } = recordingClient();
    const path = join(dir, 'small.txt');
    await writeFile(path, 'hello');
    await createS3FileStore(client, bucket).put(fileOf(chatKey(), 'hello'), path);
    expect(commands.filter((c) => c !== 'ListObjectsV2Command')).toEqual(['PutObjectCommand']);
    client.destroy();
    peer.server.emptyBucket(bucket);
  });
});
