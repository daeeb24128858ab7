import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

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

function pkOf(body: string): string | undefined {
  const parsed = JSON.parse(body) as { Item?: { pk?: { S?: string } }; Key?: { pk?: { S?: string } } };
  return parsed.Item?.pk?.S ?? parsed.Key?.pk?.S;
}

export async function startPartitionProxy(target: string): Promise<PartitionProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const writes = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const op =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      if (WRITES.has(op)) {
        const pk = pkOf(body.toString('utf8')) ?? '?';
        writes.set(pk, (writes.get(pk) ?? 0) + 1);
      }
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      out.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    writesByPk: () => new Map(writes),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
