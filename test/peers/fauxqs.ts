import { startFauxqs as startFauxqsServer, type FauxqsServer } from 'fauxqs';
import { PEER_CREDENTIALS, PEER_REGION, type PeerEndpoint } from './types.js';

export interface FauxqsPeer extends PeerEndpoint {
  /** The in-process server (create queues/buckets directly, inspect queues). */
  readonly server: FauxqsServer;
  /** Create a bucket without an S3 round trip. */
  createBucket(name: string): void;
  /** Create a queue and return its URL (FIFO if the name ends in `.fifo`). */
  createQueue(name: string, attributes?: Record<string, string>): string;
}

/**
 * Start fauxqs 1.9.2 in this process on a random free port. It serves S3 and SQS on the same
 * endpoint. S3 clients need `forcePathStyle: true`; SQS clients need the explicit `endpoint`
 * (queue URLs use a `sqs.<region>.localhost` host). Note: fauxqs always binds 0.0.0.0; we only
 * ever talk to it on 127.0.0.1.
 */
export async function startFauxqs(): Promise<FauxqsPeer> {
  const server = await startFauxqsServer({ port: 0, logger: false, defaultRegion: PEER_REGION });
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    region: PEER_REGION,
    credentials: { ...PEER_CREDENTIALS },
    server,
    createBucket: (name) => {
      server.createBucket(name);
    },
    createQueue: (name, attributes) => {
      const fifo = name.endsWith('.fifo');
      const attrs = fifo ? { FifoQueue: 'true', ...attributes } : attributes;
      return server.createQueue(name, attrs ? { attributes: attrs } : undefined).queueUrl;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}
