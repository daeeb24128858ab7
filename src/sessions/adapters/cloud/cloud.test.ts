import { afterAll, beforeAll } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { runStorageConformance } from '../../conformance.js';
import { startCloudPeers, type CloudPeers } from '../../../../test/peers/cloud.js';
import { createRawCloudBackend } from '../../../../test/cloud/raw-backend.js';
import { createCloudStorage } from './index.js';

let peers: CloudPeers | undefined;

beforeAll(async () => {
  peers = await startCloudPeers();
});

afterAll(async () => {
  await peers?.stop();
});

runStorageConformance({
  name: 'cloud (S3 via fauxqs + DynamoDB Local)',
  mtimeFromClock: true,
  async create() {
    if (!peers) throw new Error('peers not started');
    const p = peers;
    const [bucket, table] = await Promise.all([p.newBucket(), p.newTable()]);
    const clock = new ManualClock();
    const storage = createCloudStorage({ s3: p.s3, dynamo: p.doc, bucket, table, clock });
    return {
      storage,
      clock,
      raw: createRawCloudBackend({ s3: p.s3, doc: p.doc, bucket, table }),
      async cleanup() {
        await storage.close();
        await Promise.all([p.dropBucket(bucket), p.dropTable(table)]);
      },
    };
  },
});
