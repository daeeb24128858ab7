import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatKey, fileOf } from '../../src/files/conformance/fixtures.js';
import { createCloudStorage } from '../../src/sessions/adapters/cloud/index.js';
import { createMemoryStorage } from '../../src/sessions/adapters/memory/index.js';
import { createSqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import { startFauxqs, type FauxqsPeer } from '../peers/fauxqs.js';

/** Each `Storage` carries the file store its docs promise, writing where docs/storage.md says. */
describe('Storage.files wiring', () => {
  let dir = '';
  let source = '';
  const bytes = Buffer.from('2026-12-01 ERROR connection refused\n');
  const key = chatKey();
  const file = fileOf(key, bytes, { name: 'app.log' });
  const rest = `${key.chat}/${key.thread}/${file.id}/in-text-${file.createdAt}/app.log`;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'omni-files-wiring-'));
    source = join(dir, 'source');
    await writeFile(source, bytes);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('memory: a memory file store', async () => {
    const storage = createMemoryStorage();
    await storage.files.put(file, source);
    expect(await storage.files.list(key)).toEqual([file]);
    await storage.close();
  });

  it('sqlite: <data dir>/files/<tenant>/…, next to the database', async () => {
    const storage = createSqliteStorage({ dataDir: join(dir, 'data') });
    await storage.files.put(file, source);
    expect(await readFile(join(dir, 'data', 'files', key.tenant, rest))).toEqual(bytes);
    await storage.close();
  });

  describe('cloud', () => {
    let peer: FauxqsPeer;
    let s3: S3Client;
    beforeAll(async () => {
      peer = await startFauxqs();
      s3 = new S3Client({
        endpoint: peer.endpoint,
        region: peer.region,
        credentials: peer.credentials,
        forcePathStyle: true,
      });
    });
    afterAll(async () => {
      s3?.destroy();
      await peer?.stop();
    });

    it('the session bucket, under tenants/<tenant>/files/', async () => {
      const bucket = `wiring-${randomBytes(3).toString('hex')}`;
      peer.createBucket(bucket);
      // The file store needs S3 only; DynamoDB is never called here.
      const dynamo = new DynamoDBClient({
        endpoint: 'http://127.0.0.1:9',
        region: peer.region,
        credentials: peer.credentials,
      });
      const storage = createCloudStorage({ s3, dynamo, bucket, table: 'unused' });
      await storage.files.put(file, source);
      const res = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: `tenants/${key.tenant}/files/${rest}` }),
      );
      expect(Buffer.from(await res.Body!.transformToByteArray())).toEqual(bytes);
      expect(res.ContentType).toBe('text/plain');
      await storage.close();
      dynamo.destroy();
    });
  });
});
