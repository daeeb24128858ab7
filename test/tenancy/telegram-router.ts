import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';

/**
 * One Bot API root for several fake bots (the deployment has one TELEGRAM_API_ROOT, each tenant its
 * own token): `/bot<token>/<method>` is forwarded to the fake that owns the token; any other token
 * gets Telegram's 401, so a request made with the wrong tenant's token can never be answered.
 */
export interface TelegramRouter {
  readonly apiRoot: string;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startTelegramRouter(fakes: readonly FakeTelegramApi[]): Promise<TelegramRouter> {
  const byToken = new Map(fakes.map((f) => [f.token, f]));
  const server = createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/';
      const token = /^\/bot([^/]+)\//.exec(url)?.[1];
      const fake = token === undefined ? undefined : byToken.get(decodeURIComponent(token));
      if (!fake) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error_code: 401, description: 'Unauthorized' }));
        return;
      }
      const payload = await body(req);
      const headers: Record<string, string> = {};
      const type = req.headers['content-type'];
      if (type) headers['content-type'] = type;
      const answer = await fetch(`${fake.apiRoot}${url}`, {
        method: req.method ?? 'POST',
        headers,
        ...(payload.length > 0 ? { body: payload } : {}),
      });
      res.writeHead(answer.status, {
        'content-type': answer.headers.get('content-type') ?? 'application/json',
      });
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
