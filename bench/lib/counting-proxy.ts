import { createServer, request, Agent, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of a local AWS peer that counts requests by operation:
 * DynamoDB by its `x-amz-target` (`GetItem`, `TransactWriteItems`, …), S3 by method (`s3:PUT`).
 * Every client the app builds (sessions, leases, map, turn ledger, usage) goes through it, so the
 * counts cover what no single component's metrics can.
 */
export interface CountingProxy {
  /** `http://127.0.0.1:<port>`: use as the AWS endpoint instead of the peer's. */
  readonly url: string;
  /** A copy of the counts so far, by operation. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

/** What a request is counted under (undefined: not counted). `body` is the whole request body. */
export type Classify = (req: IncomingMessage, body: Buffer) => string | undefined;

function operation(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return `dynamodb:${target.split('.').pop() ?? target}`;
  return `s3:${req.method ?? '?'}`;
}

export async function startCountingProxy(
  target: string,
  classify: Classify = operation,
): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const key = classify(req, body);
      if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
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
    counts: () => Object.fromEntries(counts),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/** Per-operation difference `after − before` (operations with 0 left out). */
export function countsSince(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, n] of Object.entries(after)) {
    const d = n - (before[op] ?? 0);
    if (d > 0) out[op] = d;
  }
  return out;
}
