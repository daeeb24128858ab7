import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSecrets } from '../config/secrets.js';
import { createSsmParameterClient } from './ssm.js';

/**
 * The real `@aws-sdk/client-ssm` wiring against a minimal local SSM JSON endpoint (no SSM peer
 * exists offline, and this checks the actual request the SDK sends: `AmazonSSM.GetParameters`
 * with `WithDecryption: true`). The mapping logic itself is tested in `config/secrets.test.ts`.
 */
describe('createSsmParameterClient (real AWS SDK against a local SSM JSON endpoint)', () => {
  let server: Server;
  let endpoint: string;
  const requests: Array<{ target: string | undefined; body: { Names: string[]; WithDecryption: boolean } }> =
    [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as { Names: string[]; WithDecryption: boolean };
        requests.push({ target: req.headers['x-amz-target'] as string | undefined, body });
        const known: Record<string, string> = {
          '/oc/bot': 'decrypted-bot-token',
          '/aws/reference/secretsmanager/oc-api': 'sm-value',
        };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({
            Parameters: body.Names.filter((n) => n in known).map((n) => ({
              Name: n,
              Type: 'SecureString',
              Value: known[n],
              Version: 1,
            })),
            InvalidParameters: body.Names.filter((n) => !(n in known)),
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends one GetParameters with WithDecryption and maps values and invalid names', async () => {
    const client = await createSsmParameterClient({
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-test' },
      retry: { maxAttempts: 1 },
    });
    const result = await resolveSecrets(
      {
        TELEGRAM_BOT_TOKEN_PARAM: '/oc/bot',
        API_AUTH_TOKEN_PARAM: '/aws/reference/secretsmanager/oc-api',
      },
      { client: () => client },
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]?.target).toBe('AmazonSSM.GetParameters');
    expect(requests[0]?.body).toEqual({
      Names: ['/oc/bot', '/aws/reference/secretsmanager/oc-api'],
      WithDecryption: true,
    });
    expect(result.env.TELEGRAM_BOT_TOKEN).toBe('decrypted-bot-token');
    expect(result.env.API_AUTH_TOKEN).toBe('sm-value');
    const direct = await client.getParameters(['/oc/nope']);
    expect(direct.invalid).toEqual(['/oc/nope']);
  });
});
