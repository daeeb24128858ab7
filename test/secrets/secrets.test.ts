import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps } from '../../src/app/build-deps.js';
import { transcriptExporter } from '../../src/app/transcript-exporter.js';
import type { AppDeps } from '../../src/app/types.js';
import { buildChildEnv } from '../../src/agent/child-env.js';
import { parseEnv, type AppEnv } from '../../src/config/env.js';
import { parseTenantId } from '../../src/core/ids.js';
import { startModelServer, type ModelServer } from '../../src/model/index.js';
import { createApiApp, createApiAuth } from '../../src/server/index.js';
import { createMemoryDeduper } from '../../src/telegram/dedupe/index.js';
import { createTelegramService, type TelegramService } from '../../src/telegram/service.js';
import { startFakeBedrock, type FakeBedrock } from '../fakes/bedrock.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { privateText } from '../telegram/updates.js';
import { captureOutput, secretForms } from '../support/leak-check.js';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js';

/**
 * A full conversation through the real app (`buildDeps` → real runner → real SDK binary → the
 * offline model behind a recording proxy; the agent API; the Telegram webhook → queue → worker →
 * fake Bot API) with KNOWN secret values, then a search for every one of them in everything the
 * outside world or the store can see: log lines and raw stdout/stderr, every response body and
 * header, every request the fake model / Bedrock / Telegram received, every row of the raw SQLite
 * file, and the environment the agent's tools (an MCP server) were started with.
 */

const SECRETS = {
  botToken: '777001:SECRETbot-AAbbCCddEEffGGhhIIjjKKll',
  webhookSecret: 'whsec-SECRET-9f8e7d6c5b4a392817160',
  apiToken: 'apitok-SECRET-0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d',
  anthropicKey: 'sk-ant-api03-SECRET-1122334455667788aabbccdd',
  awsSecret: 'awsSECRET/abcdEFGH1234+ijklMNOP5678qrstUVWX',
  mcpSecret: 'mcpSECRET-zyxwvutsrq0987654321',
} as const;
type SecretName = keyof typeof SECRETS;

interface Haystack {
  where: string;
  text: string;
}

/** Every (secret, place) pair where a form of a secret was found, skipping `allowed` pairs. */
function leaks(
  haystacks: readonly Haystack[],
  allowed: (name: SecretName, where: string) => boolean = () => false,
) {
  const found: string[] = [];
  for (const [name, value] of Object.entries(SECRETS) as Array<[SecretName, string]>) {
    for (const h of haystacks) {
      if (allowed(name, h.where)) continue;
      if (secretForms(value).some((f) => h.text.includes(f))) found.push(`${name} in ${h.where}`);
    }
  }
  return found;
}

/** Every row of every table of a SQLite file, one haystack per table. */
function rawSqlite(file: string): Haystack[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .pluck()
      .all() as string[];
    return tables.map((t) => ({
      where: `sqlite ${file.split('/').slice(-1)[0]} table ${t}`,
      text: JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all()),
    }));
  } finally {
    db.close();
  }
}

async function sqliteFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.sqlite')).map((n) => join(dir, n));
}

const ENV_DUMP_SERVER = resolve('test/fixtures/test-mcp-server.cjs');

let root: string;
let model: ModelServer;
let proxy: RecordingProxy;
let telegram: FakeTelegramApi;
let bedrock: FakeBedrock;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'omni-secrets-'));
  const configDir = join(root, 'agent-config');
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, 'system_prompt.md'), 'You are the secrets-suite agent.\n');
  await writeFile(
    join(configDir, 'mcp.json'),
    JSON.stringify({
      mcpServers: {
        envdump: {
          command: process.execPath,
          args: [ENV_DUMP_SERVER],
          env: { UPSTREAM_AUTH: 'Bearer ${MCP_UPSTREAM_KEY}', DUMP_FILE: join(root, 'mcp-env.json') },
        },
      },
    }),
  );
  model = await startModelServer();
  proxy = await startRecordingProxy(model.url);
  telegram = await startFakeTelegramApi({ token: SECRETS.botToken });
  bedrock = await startFakeBedrock({ secretAccessKey: SECRETS.awsSecret });
});
afterAll(async () => {
  await bedrock?.close();
  await telegram?.close();
  await proxy?.close();
  await model?.close();
  // Retried: a spare `claude` process that app.close() signalled may still be writing its
  // workspace for a moment (close signals the children; it does not wait for them to exit).
  if (root) await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

/** The raw environment of one deployment: every secret set, as an operator would. */
function rawEnvFor(dataDir: string, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    OMNICLOUD_DATA_DIR: dataDir,
    OMNICLOUD_CONFIG_DIR: join(root, 'agent-config'),
    OMNICLOUD_LOG_LEVEL: 'debug',
    OMNICLOUD_MODEL_MAX_RETRIES: '1',
    OMNICLOUD_MCP_TIMEOUT_MS: '10000',
    TELEGRAM_BOT_TOKEN: SECRETS.botToken,
    TELEGRAM_WEBHOOK_SECRET: SECRETS.webhookSecret,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    API_AUTH_TOKEN: SECRETS.apiToken,
    MCP_UPSTREAM_KEY: SECRETS.mcpSecret,
    ...extra,
  };
}

interface Exchange {
  where: string;
  status: number;
  headers: string;
  body: string;
}

/** Records every response of our API and webhook. */
async function call(
  exchanges: Exchange[],
  where: string,
  res: Response | Promise<Response>,
): Promise<Exchange> {
  const r = await res;
  const exchange = {
    where,
    status: r.status,
    headers: JSON.stringify([...r.headers.entries()]),
    body: await r.text(),
  };
  exchanges.push(exchange);
  return exchange;
}

/** Runs the conversation: API turns (incl. the env-dumping tool), reads, refusals, Telegram turns. */
async function converse(app: AppDeps, env: AppEnv, exchanges: Exchange[]): Promise<TelegramService> {
  const api = createApiApp({
    runner: app.runner,
    storage: app.storage,
    auth: createApiAuth(env),
    logger: app.logger,
  });
  const post = (body: unknown, token: string = SECRETS.apiToken) =>
    api.request('/v1/chat', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const auth = { headers: { authorization: `Bearer ${SECRETS.apiToken}` } };

  const first = await call(
    exchanges,
    'POST /v1/chat (1)',
    post({ user_message: 'hello, remember pineapple', chat_id: 'sec' }),
  );
  expect(first.status, first.body).toBe(200);
  expect((JSON.parse(first.body) as { is_error: boolean }).is_error, first.body).toBe(false);
  const tool = await call(
    exchanges,
    'POST /v1/chat (tool)',
    post({ user_message: 'call tool mcp__envdump__dump_env {}', chat_id: 'sec' }),
  );
  expect(tool.status, tool.body).toBe(200);
  await call(exchanges, 'GET conversation', api.request('/v1/conversations/default/sec/main', auth));
  await call(exchanges, 'GET transcript', api.request('/v1/conversations/default/sec/main/transcript', auth));
  await call(
    exchanges,
    'GET transcript json',
    api.request('/v1/conversations/default/sec/main/transcript?format=json', auth),
  );
  // Refusals must not echo what was presented.
  for (const [label, token] of [
    ['near-miss token', `${SECRETS.apiToken}x`],
    ['bot token as API token', SECRETS.botToken],
    ['webhook secret as API token', SECRETS.webhookSecret],
  ] as const) {
    const refused = await call(
      exchanges,
      `POST /v1/chat (${label})`,
      post({ user_message: 'x', chat_id: 'sec' }, token),
    );
    expect(refused.status).toBe(401);
  }
  await call(exchanges, 'GET unknown route', api.request('/v1/nope', auth));
  await call(exchanges, 'GET healthz', api.request('/healthz'));

  const service = createTelegramService({
    token: env.TELEGRAM_BOT_TOKEN ?? '',
    tenant: parseTenantId('default'),
    runner: app.runner,
    deduper: createMemoryDeduper(),
    apiRoot: telegram.apiRoot,
    botInfo: telegram.botInfo,
    exportTranscript: transcriptExporter(app),
    logger: app.logger.child({ component: 'telegram' }),
    typingIntervalMs: 50,
  });
  const webhook = service.mountWebhook(new Hono(), env.TELEGRAM_WEBHOOK_SECRET ?? '');
  const hook = (update: unknown, secret: string) =>
    webhook.request('/telegram/default', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      body: JSON.stringify(update),
    });
  const sentBefore = telegram.callsTo('sendMessage').length;
  expect(
    (await call(exchanges, 'webhook text', hook(privateText('hello from telegram'), SECRETS.webhookSecret)))
      .status,
  ).toBe(200);
  await telegram.waitFor(() => telegram.callsTo('sendMessage').length > sentBefore, 60_000);
  expect(
    (await call(exchanges, 'webhook /debug', hook(privateText('/debug'), SECRETS.webhookSecret))).status,
  ).toBe(200);
  expect(
    (await call(exchanges, 'webhook /cost', hook(privateText('/cost'), SECRETS.webhookSecret))).status,
  ).toBe(200);
  for (const [label, secret] of [
    ['near-miss secret', SECRETS.webhookSecret.slice(0, -1)],
    ['bot token as secret', SECRETS.botToken],
  ] as const) {
    expect((await call(exchanges, `webhook (${label})`, hook(privateText('x'), secret))).status).toBe(401);
  }
  await service.idle();
  return service;
}

describe('secrets never leak', () => {
  it('a full conversation (Anthropic API key, bot token, webhook secret, API token, MCP ${VAR}) leaks nothing', async () => {
    const dataDir = join(root, 'data-anthropic');
    const rawEnv = rawEnvFor(dataDir, {
      ANTHROPIC_API_KEY: SECRETS.anthropicKey,
      ANTHROPIC_BASE_URL: proxy.url,
      // Present in the environment although this deployment talks to the Anthropic API.
      AWS_ACCESS_KEY_ID: 'AKIASECRETSUITE0001',
      AWS_SECRET_ACCESS_KEY: SECRETS.awsSecret,
    });
    const env = parseEnv(rawEnv);
    const exchanges: Exchange[] = [];
    const output = captureOutput();
    let app: AppDeps | undefined;
    let service: TelegramService | undefined;
    try {
      app = await buildDeps(env, { rawEnv, quiet: true });
      service = await converse(app, env, exchanges);
      // The logger's safety net: a secret handed to it by mistake is masked — the MCP credential
      // too, bare, although mcp.json only names it inside a header (`Bearer ${VAR}`).
      for (const [name, value] of Object.entries(SECRETS))
        app.logger.warn('secrets-suite probe', { name, value });
    } finally {
      await service?.stop();
      await app?.close();
      output.stop();
    }

    // Positive controls: the conversation really ran, with the key and the MCP secret in use.
    expect(proxy.requests.length).toBeGreaterThan(0);
    const modelCalls = proxy.requests.filter((r) => r.url.startsWith('/v1/messages'));
    expect(modelCalls.length).toBeGreaterThan(0);
    for (const r of modelCalls) expect(r.headers['x-api-key']).toBe(SECRETS.anthropicKey);
    const dumpFile = join(root, 'mcp-env.json');
    expect(existsSync(dumpFile), 'the MCP tool ran and dumped its environment').toBe(true);
    const childEnv = JSON.parse(readFileSync(dumpFile, 'utf8')) as Record<string, string>;
    expect(childEnv['UPSTREAM_AUTH']).toBe(`Bearer ${SECRETS.mcpSecret}`);
    expect(telegram.callsTo('sendMessage').length).toBeGreaterThan(0);

    // The agent's tools see only what they need: no bot token, webhook secret, API token, AWS key.
    const childLeaks = leaks([{ where: 'MCP server environment', text: JSON.stringify(childEnv) }], (name) =>
      ['anthropicKey', 'mcpSecret'].includes(name),
    );
    expect(childLeaks).toEqual([]);

    const sqlite = (await sqliteFiles(dataDir)).flatMap(rawSqlite);
    expect(sqlite.length).toBeGreaterThan(0);
    const haystacks: Haystack[] = [
      ...output.lines.map((text, i) => ({ where: `stdout/stderr line ${i}: ${text.slice(0, 120)}`, text })),
      ...exchanges.map((e) => ({ where: `response to ${e.where}`, text: `${e.headers}\n${e.body}` })),
      ...proxy.requests.map((r, i) => {
        const { 'x-api-key': _legit, ...headers } = r.headers;
        return {
          where: `model request ${i} ${r.url}`,
          text: `${r.url}\n${JSON.stringify(headers)}\n${r.body}`,
        };
      }),
      ...telegram.calls.map((c, i) => ({
        where: `Telegram call ${i} ${c.method}`,
        text: `${JSON.stringify(c.params)}\n${Object.values(c.files)
          .map((f) => f.content.toString('utf8'))
          .join('\n')}`,
      })),
      ...sqlite,
    ];
    // The detector itself works (a planted value is found in every encoding).
    for (const f of secretForms(SECRETS.apiToken))
      expect(leaks([{ where: 'control', text: `x${f}x` }])).toHaveLength(1);
    const probeLines = output.lines.filter((l) => l.includes('secrets-suite probe'));
    const probeLeaks = leaks(probeLines.map((text, i) => ({ where: `probe line ${i}`, text })));
    process.stdout.write(
      `[secrets] logger probe: secrets logged by mistake that stay visible: ${JSON.stringify(probeLeaks)}\n`,
    );
    expect(probeLeaks).toEqual([]);
    const found = leaks(haystacks.filter((h) => !h.text.includes('secrets-suite probe')));
    process.stdout.write(
      `[secrets] anthropic run: searched ${haystacks.length} places (${output.lines.length} output lines, ${exchanges.length} responses, ${proxy.requests.length} model requests, ${telegram.calls.length} Telegram calls, ${sqlite.length} SQLite tables) for ${Object.keys(SECRETS).length} secrets × ${secretForms('x').length} encodings → ${found.length} leaks\n`,
    );
    expect(found).toEqual([]);
  }, 180_000);

  it('Bedrock with dedicated AWS keys: the secret key signs requests but never travels or lands anywhere', async () => {
    const dataDir = join(root, 'data-bedrock');
    const rawEnv = rawEnvFor(dataDir, {
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: 'eu-west-1',
      ANTHROPIC_BEDROCK_BASE_URL: bedrock.url,
      BEDROCK_ACCESS_KEY_ID: 'AKIASECRETSUITE0002',
      BEDROCK_SECRET_ACCESS_KEY: SECRETS.awsSecret,
    });
    const env = parseEnv(rawEnv);
    const exchanges: Exchange[] = [];
    const output = captureOutput();
    let app: AppDeps | undefined;
    try {
      app = await buildDeps(env, { rawEnv, quiet: true });
      const api = createApiApp({
        runner: app.runner,
        storage: app.storage,
        auth: createApiAuth(env),
        logger: app.logger,
      });
      const res = await call(
        exchanges,
        'POST /v1/chat (bedrock)',
        api.request('/v1/chat', {
          method: 'POST',
          headers: { authorization: `Bearer ${SECRETS.apiToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user_message: 'hello bedrock', chat_id: 'sec-bedrock' }),
        }),
      );
      expect(res.status, res.body).toBe(200);
      expect((JSON.parse(res.body) as { is_error: boolean }).is_error, res.body).toBe(false);
    } finally {
      await app?.close();
      output.stop();
    }
    const signed = bedrock.requests.filter((r) => r.route !== 'other');
    expect(signed.length).toBeGreaterThan(0);
    for (const r of signed) expect(r.auth).toMatchObject({ scheme: 'sigv4', signatureValid: true });

    // The child gets the key (it signs), and nothing else secret; checked on the real wiring's input.
    const childEnv = buildChildEnv({
      provider: app.provider,
      models: {},
      limits: { maxRetries: 1, apiTimeoutMs: 1000 },
      configDir: '/c',
      projectDirName: 'default',
      home: '/h',
      tmpDir: '/t',
      path: '/bin',
    });
    expect(childEnv['AWS_SECRET_ACCESS_KEY']).toBe(SECRETS.awsSecret);
    expect(
      leaks([{ where: 'child env (bedrock)', text: JSON.stringify(childEnv) }], (n) => n === 'awsSecret'),
    ).toEqual([]);

    const sqlite = (await sqliteFiles(dataDir)).flatMap(rawSqlite);
    const haystacks: Haystack[] = [
      ...output.lines.map((text, i) => ({ where: `stdout/stderr line ${i}: ${text.slice(0, 120)}`, text })),
      ...exchanges.map((e) => ({ where: `response to ${e.where}`, text: `${e.headers}\n${e.body}` })),
      ...bedrock.requests.map((r, i) => ({
        where: `Bedrock request ${i} ${r.path}`,
        text: `${r.path}\n${JSON.stringify(r.headers)}\n${JSON.stringify(r.message?.body ?? null)}`,
      })),
      ...sqlite,
    ];
    const found = leaks(haystacks);
    process.stdout.write(
      `[secrets] bedrock run: searched ${haystacks.length} places (${output.lines.length} output lines, ${bedrock.requests.length} Bedrock requests, ${sqlite.length} SQLite tables) → ${found.length} leaks\n`,
    );
    expect(found).toEqual([]);
  }, 120_000);
});
