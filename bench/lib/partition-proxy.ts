import type { IncomingMessage } from 'node:http';
import { startCountingProxy } from './counting-proxy.js';

/**
 * A pass-through HTTP proxy in front of DynamoDB Local that counts write requests by partition
 * key: `PutItem` / `UpdateItem` / `DeleteItem` bodies are parsed for `Item.pk` or `Key.pk`. An
 * item under 1 KB is one write unit, so the counts are the write units each partition key takes
 * (what its partition's 1,000 WCU/s limit applies to).
 */
export interface PartitionProxy {
  /** `http://127.0.0.1:<port>`: use as the DynamoDB endpoint. */
  readonly url: string;
  /** Write requests so far, by `pk`. */
  writesByPk(): Map<string, number>;
  close(): Promise<void>;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

function writePk(req: IncomingMessage, body: Buffer): string | undefined {
  const op =
    String(req.headers['x-amz-target'] ?? '')
      .split('.')
      .pop() ?? '';
  if (!WRITES.has(op)) return undefined;
  const parsed = JSON.parse(body.toString('utf8')) as {
    Item?: { pk?: { S?: string } };
    Key?: { pk?: { S?: string } };
  };
  return parsed.Item?.pk?.S ?? parsed.Key?.pk?.S ?? '?';
}

export async function startPartitionProxy(target: string): Promise<PartitionProxy> {
  const proxy = await startCountingProxy(target, writePk);
  return {
    url: proxy.url,
    writesByPk: () => new Map(Object.entries(proxy.counts())),
    close: () => proxy.close(),
  };
}
