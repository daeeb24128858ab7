import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps } from '../../src/app/build-deps.js';
import { startLocalTelegram, type LocalTelegram } from '../../src/app/local-telegram.js';
import type { AppDeps } from '../../src/app/types.js';
import { parseEnv } from '../../src/config/env.js';
import { startModelServer, type ModelServer } from '../../src/model/index.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { privateText, USER } from '../telegram/updates.js';
import { TOKENS, createTenancyFixture, sqliteRows, type TenancyFixture } from './fixture.js';
import { startTelegramRouter, type TelegramRouter } from './telegram-router.js';

/**
 * Two tenants' bots in one local process (`startLocalTelegram`, the `npm start` wiring): webhook
 * mode on one HTTP server, real runner + binary, SQLite. The same Telegram user talks to both bots
 * (same chat id). Replies are checked on each bot's own fake Bot API, storage on the raw file.
 */
let fx: TenancyFixture;
let model: ModelServer;
let alphaApi: FakeTelegramApi;
let betaApi: FakeTelegramApi;
let router: TelegramRouter;
let deps: AppDeps;
let bots: LocalTelegram;

const ALPHA_TOKEN = '700001:alpha-bot-token_abcdefghijklmnopqrs';
const BETA_TOKEN = '700002:beta-bot-token_abcdefghijklmnopqrstu';

function post(tenant: string, secret: string | undefined, update: unknown) {
  return fetch(`${bots.webhookUrl}/telegram/${tenant}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}),
    },
    body: JSON.stringify(update),
  });
}

const conversations = () =>
  sqliteRows<{ tenant: string; chat: string; session_id: string; turns: number }>(
    join(fx.dataDir, 'omnicloud.sqlite'),
    'SELECT tenant, chat, session_id, turns FROM conversations ORDER BY tenant',
  );

beforeAll(async () => {
  [model, alphaApi, betaApi] = await Promise.all([
    startModelServer(),
    startFakeTelegramApi({ token: ALPHA_TOKEN, username: 'alpha_bot' }),
    startFakeTelegramApi({ token: BETA_TOKEN, username: 'beta_bot' }),
  ]);
  router = await startTelegramRouter([alphaApi, betaApi]);
  fx = await createTenancyFixture({ botTokens: { alpha: ALPHA_TOKEN, beta: BETA_TOKEN }, webhook: true });
  const raw = {
    ...fx.secrets,
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    OMNICLOUD_LOG_LEVEL: 'error',
    OMNICLOUD_DATA_DIR: fx.dataDir,
    OMNICLOUD_TENANTS_FILE: fx.tenantsFile,
    ANTHROPIC_API_KEY: 'test-key-not-secret',
    ANTHROPIC_BASE_URL: model.url,
    TELEGRAM_API_ROOT: router.apiRoot,
  };
  deps = await buildDeps(parseEnv(raw), { rawEnv: raw, quiet: true });
  bots = await startLocalTelegram(deps, { port: 0 });
}, 60_000);

afterAll(async () => {
  await bots?.stop();
  await deps?.close();
  await router?.close();
  await Promise.all([model?.close(), alphaApi?.close(), betaApi?.close()]);
  await fx?.close();
});

describe('two tenants, one process, the same chat id — through the bots', () => {
  it("registers each tenant's command menu on its own bot at start", async () => {
    for (const api of [alphaApi, betaApi]) {
      const menus = api.callsTo('setMyCommands');
      expect(menus).toHaveLength(1);
      const names = (menus[0]?.params.commands as Array<{ command: string }>).map((c) => c.command);
      expect(names.slice(0, 7)).toEqual(['start', 'help', 'newchat', 'new', 'stop', 'debug', 'cost']);
    }
  });

  it("a tenant's webhook secret works only on its own path; unknown tenants are 404", async () => {
    const update = privateText('sneaky');
    expect((await post('alpha', TOKENS.BETA_WEBHOOK_SECRET, update)).status).toBe(401);
    expect((await post('beta', TOKENS.ALPHA_WEBHOOK_SECRET, update)).status).toBe(401);
    expect((await post('alpha', undefined, update)).status).toBe(401);
    expect((await post('gamma', TOKENS.ALPHA_WEBHOOK_SECRET, update)).status).toBe(404);
    expect((await post('..%2Falpha', TOKENS.ALPHA_WEBHOOK_SECRET, update)).status).toBe(404);
    await Promise.all([...bots.services.values()].map((s) => s.idle()));
    expect(model.requests).toHaveLength(0);
    expect(conversations()).toEqual([]);
    expect(alphaApi.sentTexts()).toEqual([]);
    expect(betaApi.sentTexts()).toEqual([]);
  });

  it("updates for alpha produce turns only in alpha's storage, answered by alpha's bot", async () => {
    const ack = await post('alpha', TOKENS.ALPHA_WEBHOOK_SECRET, privateText('hello alpha bot'));
    expect(ack.status).toBe(200);
    await alphaApi.waitFor(() => alphaApi.sentTexts({ chatId: USER.id }).length === 1, 30_000);
    expect(betaApi.sentTexts()).toEqual([]);
    expect(conversations()).toEqual([
      expect.objectContaining({ tenant: 'alpha', chat: String(USER.id), turns: 1 }),
    ]);
  });

  it('the same user and chat id on beta get a separate conversation; /cost shows each tenant its own usage', async () => {
    await post('beta', TOKENS.BETA_WEBHOOK_SECRET, privateText('hello beta bot'));
    await betaApi.waitFor(() => betaApi.sentTexts({ chatId: USER.id }).length === 1, 30_000);
    const rows = conversations();
    expect(rows.map((r) => [r.tenant, r.chat, r.turns])).toEqual([
      ['alpha', String(USER.id), 1],
      ['beta', String(USER.id), 1],
    ]);
    expect(rows[0]?.session_id).not.toBe(rows[1]?.session_id);
    // beta's reply comes from a session that never saw alpha's message.
    expect(betaApi.sentTexts()[0]).not.toContain('hello alpha bot');
    expect(alphaApi.sentTexts()).toHaveLength(1);

    await post('alpha', TOKENS.ALPHA_WEBHOOK_SECRET, privateText('/cost'));
    await alphaApi.waitFor(() => alphaApi.sentTexts().length === 2, 10_000);
    const cost = alphaApi.sentTexts()[1] ?? '';
    expect(cost).toMatch(/This conversation: 1 turn, \$/);
    expect(cost).toMatch(
      /You: today \$[\d.]+ \(1 turn\), this month \$[\d.]+ \(1 turn\), all time \$[\d.]+ \(1 turn\)/,
    );
    expect(betaApi.sentTexts()).toHaveLength(1); // nothing leaked to the other bot
  });
});
