import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import { createEnvSecretResolver } from '../../tenants/index.js';
import { accessPolicyOf } from '../../telegram/config.js';
import { loadTelegramRoutes, parseTelegramRoutes, telegramRoutesSpec } from './telegram-routes.js';

const routes = JSON.stringify({
  acme: {
    botToken: { env: 'ACME_BOT' },
    webhookSecret: { env: 'ACME_HOOK' },
    allowedUsers: [42],
    approvers: [77],
  },
  globex: { botToken: { ssm: '/omni/globex/bot' }, webhookSecret: { ssm: '/omni/globex/hook' } },
});

describe('OMNICLOUD_TELEGRAM_TENANTS (the webhook Lambda routes)', () => {
  it('parses references per tenant', () => {
    const config = parseTelegramRoutes(routes);
    expect([...config.tenants.keys()]).toEqual(['acme', 'globex']);
    expect(config.tenants.get('acme' as never)?.telegram?.allowedUsers).toEqual([42]);
    expect(config.tenants.get('acme' as never)?.telegram?.approvers).toEqual([77]);
  });

  it('refuses inline secrets, bad ids, unknown fields and shared references — naming fields, never values', () => {
    const bad = JSON.stringify({
      'Bad/Id': { botToken: { env: 'X' }, webhookSecret: { env: 'Y' } },
      acme: {
        botToken: '123456:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll',
        webhookSecret: { env: 'Y' },
        extra: 1,
      },
    });
    const err = (() => {
      try {
        parseTelegramRoutes(bad);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(/acme\.botToken/);
    expect(message).toMatch(/extra/);
    expect(message).not.toContain('AAAbbbCCC');
    expect(() => parseTelegramRoutes('{nope')).toThrow(/not valid JSON/);
    expect(() =>
      parseTelegramRoutes(
        JSON.stringify({
          a: { botToken: { env: 'SAME' }, webhookSecret: { env: 'A_HOOK' } },
          b: { botToken: { env: 'SAME' }, webhookSecret: { env: 'B_HOOK' } },
        }),
      ),
    ).toThrow(/same secret reference/);
  });

  it('resolves the secrets; without the variable it is the single tenant of the environment', async () => {
    const raw = { ACME_BOT: 'bot-acme-value-1', ACME_HOOK: 'hook-acme-value-1' };
    const only = JSON.stringify({ acme: JSON.parse(routes).acme });
    const env = parseEnv({ OMNICLOUD_TELEGRAM_TENANTS: only });
    const { routes: loaded, secretValues } = await loadTelegramRoutes(env, createEnvSecretResolver(raw));
    expect(loaded).toEqual([
      {
        tenant: 'acme',
        botToken: raw.ACME_BOT,
        webhookSecret: raw.ACME_HOOK,
        allowedUsers: [42],
        approvers: [77],
      },
    ]);
    // Approvers may decide approval requests, and only that (the ingress's AccessPolicy).
    expect(accessPolicyOf(loaded[0] as never)).toMatchObject({ allowedUserIds: [42], approverIds: [77] });
    expect(secretValues.sort()).toEqual([raw.ACME_BOT, raw.ACME_HOOK].sort());

    const single = parseEnv({ TELEGRAM_BOT_TOKEN: 'b-token-1', TELEGRAM_WEBHOOK_SECRET: 'w-secret-1' });
    const fromEnv = await loadTelegramRoutes(single, createEnvSecretResolver({}));
    expect(fromEnv.routes).toEqual([
      { tenant: 'default', botToken: 'b-token-1', webhookSecret: 'w-secret-1', allowedUsers: undefined },
    ]);
    await expect(loadTelegramRoutes(parseEnv({}), createEnvSecretResolver({}))).rejects.toThrow(
      /TELEGRAM_BOT_TOKEN/,
    );
  });

  it('carries nonForumGroups from the tenants file and the environment to the ingress policy', async () => {
    const file = parseTelegramRoutes(
      JSON.stringify({
        acme: { botToken: { env: 'A_BOT' }, webhookSecret: { env: 'A_HOOK' }, nonForumGroups: 'respond' },
      }),
    );
    expect(JSON.parse(telegramRoutesSpec(file))).toEqual({
      acme: { botToken: { env: 'A_BOT' }, webhookSecret: { env: 'A_HOOK' }, nonForumGroups: 'respond' },
    });
    const env = parseEnv({ OMNICLOUD_TELEGRAM_TENANTS: telegramRoutesSpec(file) });
    const { routes: fromFile } = await loadTelegramRoutes(
      env,
      createEnvSecretResolver({ A_BOT: 'bot-a-value-1', A_HOOK: 'hook-a-value-1' }),
    );
    expect(fromFile.map(accessPolicyOf)).toEqual([{ nonForumGroups: 'respond' }]);

    const single = parseEnv({
      TELEGRAM_BOT_TOKEN: 'b-token-1',
      TELEGRAM_WEBHOOK_SECRET: 'w-secret-1',
      TELEGRAM_ALLOWED_USERS: '7',
      TELEGRAM_NON_FORUM_GROUPS: 'respond',
    });
    const { routes: fromEnv } = await loadTelegramRoutes(single, createEnvSecretResolver({}));
    expect(fromEnv.map(accessPolicyOf)).toEqual([{ allowedUserIds: [7], nonForumGroups: 'respond' }]);
    expect(() => parseEnv({ TELEGRAM_NON_FORUM_GROUPS: 'always' })).toThrow(/TELEGRAM_NON_FORUM_GROUPS/);
    expect(() =>
      parseTelegramRoutes(
        JSON.stringify({ acme: { botToken: { env: 'A' }, webhookSecret: { env: 'B' }, nonForumGroups: 1 } }),
      ),
    ).toThrow(/nonForumGroups/);
  });

  it('carries editedMessages from the tenants file and the environment to the ingress policy', async () => {
    const file = parseTelegramRoutes(
      JSON.stringify({
        acme: { botToken: { env: 'A_BOT' }, webhookSecret: { env: 'A_HOOK' }, editedMessages: 'new-turn' },
      }),
    );
    expect(JSON.parse(telegramRoutesSpec(file)).acme.editedMessages).toBe('new-turn');
    const env = parseEnv({ OMNICLOUD_TELEGRAM_TENANTS: telegramRoutesSpec(file) });
    const { routes: fromFile } = await loadTelegramRoutes(
      env,
      createEnvSecretResolver({ A_BOT: 'bot-a-value-1', A_HOOK: 'hook-a-value-1' }),
    );
    expect(fromFile.map(accessPolicyOf)).toEqual([{ editedMessages: 'new-turn' }]);

    const single = parseEnv({
      TELEGRAM_BOT_TOKEN: 'b-token-1',
      TELEGRAM_WEBHOOK_SECRET: 'w-secret-1',
      TELEGRAM_EDITED_MESSAGES: 'new-turn',
    });
    const { routes: fromEnv } = await loadTelegramRoutes(single, createEnvSecretResolver({}));
    expect(fromEnv.map(accessPolicyOf)).toEqual([{ editedMessages: 'new-turn' }]);
    expect(() => parseEnv({ TELEGRAM_EDITED_MESSAGES: 'always' })).toThrow(/TELEGRAM_EDITED_MESSAGES/);
    expect(() =>
      parseTelegramRoutes(
        JSON.stringify({
          acme: { botToken: { env: 'A' }, webhookSecret: { env: 'B' }, editedMessages: 'x' },
        }),
      ),
    ).toThrow(/editedMessages/);
  });

  it('carries the tenant’s file cap to the webhook, so files over it are refused before queueing', async () => {
    const file = parseTelegramRoutes(
      JSON.stringify({
        acme: { botToken: { env: 'A_BOT' }, webhookSecret: { env: 'A_HOOK' }, maxFileBytes: 1048576 },
      }),
    );
    expect(JSON.parse(telegramRoutesSpec(file)).acme.maxFileBytes).toBe(1048576);
    const env = parseEnv({ OMNICLOUD_TELEGRAM_TENANTS: telegramRoutesSpec(file) });
    const { routes } = await loadTelegramRoutes(
      env,
      createEnvSecretResolver({ A_BOT: 'bot-a-value-1', A_HOOK: 'hook-a-value-1' }),
    );
    expect(routes.map((r) => r.maxFileBytes)).toEqual([1048576]);
    expect(() =>
      parseTelegramRoutes(
        JSON.stringify({ acme: { botToken: { env: 'A' }, webhookSecret: { env: 'B' }, maxFileBytes: -1 } }),
      ),
    ).toThrow(/maxFileBytes/);
  });
});
