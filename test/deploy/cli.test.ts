import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeploy, type DeployDeps } from '../../src/cli/deploy.js';
import { runSetWebhook, type SetWebhookDeps } from '../../src/cli/set-webhook.js';

const TOKEN = '123456:AAE-fake-bot-token-value';
const SECRET = 'webhook_secret-0123456789';

describe('omnicloud telegram set-webhook', () => {
  let server: Server;
  let apiRoot: string;
  const calls: Array<{ path: string; body: Record<string, unknown> }> = [];

  beforeAll(async () => {
    // A fake Bot API: records setWebhook and answers getWebhookInfo with what was set.
    let current: Record<string, unknown> = {};
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
        calls.push({ path: req.url ?? '', body });
        res.setHeader('content-type', 'application/json');
        if (!req.url?.startsWith(`/bot${TOKEN}/`)) {
          res.statusCode = 401;
          res.end(JSON.stringify({ ok: false, error_code: 401, description: 'Unauthorized' }));
        } else if (req.url.endsWith('/setWebhook')) {
          current = { url: body.url, pending_update_count: 2 };
          res.end(JSON.stringify({ ok: true, result: true }));
        } else {
          res.end(JSON.stringify({ ok: true, result: current }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const deps = (outputs: Record<string, string>, params: Record<string, string>): SetWebhookDeps => ({
    stackOutputs: async () => outputs,
    secrets: async () => ({
      async getParameters(names) {
        return {
          values: new Map(names.filter((n) => n in params).map((n) => [n, params[n]!] as const)),
          invalid: names.filter((n) => !(n in params)),
        };
      },
    }),
    fetch: (...a) => fetch(...a),
  });

  it('registers the stack webhook URL with the secret from SSM and never prints the secrets', async () => {
    const lines: string[] = [];
    const io = {
      out: (l: string) => lines.push(l),
      err: (l: string) => lines.push(l),
      env: { TELEGRAM_API_ROOT: apiRoot },
    };
    const code = await runSetWebhook(
      ['--stack', 'prod'],
      io,
      deps(
        {
          WebhookUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/telegram/default',
          TelegramBotTokenParamNameOutput: '/oc/bot',
          TelegramWebhookSecretParamNameOutput: '/oc/hook',
        },
        { '/oc/bot': TOKEN, '/oc/hook': SECRET },
      ),
    );
    expect(code).toBe(0);
    const set = calls.find((c) => c.path.endsWith('/setWebhook'))!;
    expect(set.body).toEqual({
      url: 'https://abc.execute-api.eu-west-1.amazonaws.com/telegram/default',
      secret_token: SECRET,
      // Telegram keeps the last list it was given: the Stop button needs callback_query in it.
      allowed_updates: ['message', 'edited_message', 'my_chat_member', 'callback_query'],
      drop_pending_updates: false,
    });
    expect(lines.join('\n')).toContain('webhook set: https://abc.execute-api');
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('reports a refused call without leaking the token, and a missing parameter clearly', async () => {
    const io = {
      out: () => {},
      err: () => {},
      env: {
        TELEGRAM_API_ROOT: apiRoot,
        TELEGRAM_BOT_TOKEN: '999:wrong-token',
        TELEGRAM_WEBHOOK_SECRET: SECRET,
      },
    };
    const err = await runSetWebhook(
      ['--url', 'https://tunnel.example/telegram/default'],
      io,
      deps({}, {}),
    ).catch((e: Error) => e);
    expect(String(err)).toMatch(/setWebhook refused: 401 Unauthorized/);
    expect(String(err)).not.toContain('wrong-token');

    const missing = await runSetWebhook(
      [],
      { out: () => {}, err: () => {}, env: {} },
      deps(
        {
          WebhookUrl: 'https://x',
          TelegramBotTokenParamNameOutput: '/a',
          TelegramWebhookSecretParamNameOutput: '/b',
        },
        { '/a': TOKEN },
      ),
    ).catch((e: Error) => e);
    expect(String(missing)).toMatch(/not found: \/b/);
  });
});

describe('omnicloud deploy', () => {
  const fake = (codes: Record<string, number> = {}, samconfig = false) => {
    const ran: string[] = [];
    const deps: DeployDeps = {
      async run(command, args) {
        const line = [command, ...args].join(' ');
        ran.push(line);
        if (command === 'docker' && codes.docker === -1)
          throw Object.assign(new Error('spawn docker ENOENT'), { code: 'ENOENT' });
        return codes[`${command} ${args[0]}`] ?? 0;
      },
      exists: () => samconfig,
      now: () => 0,
    };
    return { deps, ran };
  };
  const io = (lines: string[]) => ({
    out: (l: string) => lines.push(l),
    err: (l: string) => lines.push(l),
    cwd: '/repo',
  });

  it('first run: checks tools, builds, deploys guided, passes arguments through', async () => {
    const { deps, ran } = fake();
    const lines: string[] = [];
    expect(
      await runDeploy(
        ['--stack', 'prod', '--region', 'eu-west-1', '--', '--no-confirm-changeset'],
        io(lines),
        deps,
      ),
    ).toBe(0);
    expect(ran).toEqual([
      'sam --version',
      'docker info --format {{.ServerVersion}}',
      'sam build --cached --parallel',
      'sam deploy --guided --stack-name prod --region eu-west-1 --no-confirm-changeset',
      'sam list stack-outputs --stack-name prod --region eu-west-1 --output table',
    ]);
    expect(lines).toContain('[3/5] sam build…');
    expect(lines.at(-1)).toContain('omnicloud telegram set-webhook --stack prod');
  });

  it('later runs use samconfig.toml; a failing step stops with its exit code; a missing tool is explained', async () => {
    const ok = fake({}, true);
    await runDeploy(['--no-build'], io([]), ok.deps);
    expect(ok.ran).toContain('sam deploy');
    expect(ok.ran.some((l) => l.startsWith('sam build'))).toBe(false);

    const failing = fake({ 'sam build': 3 }, true);
    const lines: string[] = [];
    expect(await runDeploy([], io(lines), failing.deps)).toBe(3);
    expect(failing.ran.some((l) => l.startsWith('sam deploy'))).toBe(false);
    expect(lines.join('\n')).toContain('sam build failed (exit 3)');

    const noDocker = fake({ docker: -1 }, true);
    const out: string[] = [];
    expect(await runDeploy([], io(out), noDocker.deps)).toBe(1);
    expect(out.join('\n')).toContain('docker is not installed');
  });
});
