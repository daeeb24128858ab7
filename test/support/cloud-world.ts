import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { ManualClock } from '../../src/core/clock.js';
import {
  createCloudStorage,
  type CloudStorage,
  type CloudStorageOptions,
} from '../../src/sessions/adapters/cloud/index.js';
import { createRawCloudBackend } from '../cloud/raw-backend.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startCloudPeers, type CloudPeers } from '../peers/cloud.js';

/**
 * Shared pieces of tests that run the cloud session store against the real peers (fauxqs S3 +
 * DynamoDB Local): a fresh bucket and table per test with a manual clock, the raw backend reading
 * them, storage instances "as separate containers" would have them, transcript entries, and clients
 * whose requests pass through a hook (to fail, lose or race a chosen request).
 */

/** Registers something to undo after the current test. */
export type OnCleanup = (fn: () => Promise<void>) => void;

export interface CloudWorld {
  bucket: string;
  table: string;
  clock: ManualClock;
  raw: ReturnType<typeof createRawCloudBackend>;
  /** A storage instance as a separate container would have it (own cache, same peers and clock). */
  container(options?: Partial<CloudStorageOptions>): CloudStorage;
}

/** A new bucket + table (dropped at cleanup) and a manual clock starting at 2025-01-01. */
export async function createCloudWorld(peers: CloudPeers, onCleanup: OnCleanup): Promise<CloudWorld> {
  const [bucket, table] = await Promise.all([peers.newBucket(), peers.newTable()]);
  onCleanup(async () => {
    await Promise.all([peers.dropBucket(bucket), peers.dropTable(table)]);
  });
  const clock = new ManualClock();
  return {
    bucket,
    table,
    clock,
    raw: createRawCloudBackend({ s3: peers.s3, doc: peers.doc, bucket, table }),
    container: (options) =>
      createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table, clock, ...options }),
  };
}

/**
 * A suite's cloud peers and cleanups as hooks: the peers start once (`beforeAll`) and stop at the
 * end; what a test registers with `onCleanup` is undone after it, last first. `peers()` and
 * `world()` are for use inside tests.
 */
export function useCloudWorlds(): {
  peers: () => CloudPeers;
  onCleanup: OnCleanup;
  world: () => Promise<CloudWorld>;
} {
  let started: CloudPeers | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    started = await startCloudPeers();
  });
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  afterAll(async () => {
    await started?.stop();
  });
  const peers = (): CloudPeers => {
    if (!started) throw new Error('[test] cloud peers are not started: use them inside a test');
    return started;
  };
  const onCleanup: OnCleanup = (fn) => void cleanups.push(fn);
  return { peers, onCleanup, world: () => createCloudWorld(peers(), onCleanup) };
}

export const sessionKey = (sessionId: string = randomUUID(), projectKey = 'acme'): SessionKey => ({
  projectKey,
  sessionId,
});

/** `n` alternating user/assistant entries with unique uuids, each carrying ~`textBytes` of text. */
export function transcriptEntries(label: string, n: number, textBytes = 200): SessionStoreEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    type: i % 2 === 0 ? 'user' : 'assistant',
    uuid: randomUUID(),
    parentUuid: null,
    timestamp: new Date().toISOString(),
    message: {
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: [{ type: 'text', text: `${label}-${i} ${'x'.repeat(textBytes)}` }],
    },
  }));
}

export const uuids = (entries: readonly SessionStoreEntry[] | null): string[] =>
  (entries ?? []).map((e) => String(e.uuid));

/** Called before a request is sent and after its response arrived; throwing fails (or "loses") it. */
export type RequestHook = (
  command: string,
  input: Record<string, unknown>,
  phase: 'before' | 'after',
) => Promise<void>;

/** A DynamoDB client of its own (1 attempt) whose requests pass `hook` before and after they are sent. */
export function hookedDynamo(peers: CloudPeers, hook: RequestHook, onCleanup: OnCleanup): DynamoDBClient {
  const dynamo = new DynamoDBClient({
    endpoint: peers.dynamodb.endpoint,
    region: peers.dynamodb.region,
    credentials: peers.dynamodb.credentials,
    maxAttempts: 1,
  });
  addHook(dynamo, hook);
  onCleanup(async () => dynamo.destroy());
  return dynamo;
}

/** An S3 client of its own (1 attempt) on fauxqs whose requests pass `hook` before and after they are sent. */
export function hookedS3(peers: CloudPeers, hook: RequestHook, onCleanup: OnCleanup): S3Client {
  const s3 = new S3Client({
    endpoint: peers.fauxqs.endpoint,
    region: peers.fauxqs.region,
    credentials: peers.fauxqs.credentials,
    forcePathStyle: true,
    maxAttempts: 1,
  });
  addHook(s3, hook);
  onCleanup(async () => s3.destroy());
  return s3;
}

function addHook(client: DynamoDBClient | S3Client, hook: RequestHook): void {
  // Both clients share the middleware stack's shape; one cast keeps the hook generic.
  (client as DynamoDBClient).middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      await hook(String(context.commandName), input, 'before');
      const out = await next(args);
      await hook(String(context.commandName), input, 'after');
      return out;
    },
    { step: 'initialize', name: 'testHook' },
  );
}
