import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import { loadTenants, tenantsFromEnv } from './env.js';
import { createEnvSecretResolver, resolveSecrets } from './secrets.js';

describe('single tenant from the environment', () => {
  it('builds tenant `default` whose secrets are references to the variables', async () => {
    const raw = {
      TELEGRAM_BOT_TOKEN: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
      TELEGRAM_WEBHOOK_SECRET: 'hook-secret-value',
      TELEGRAM_ALLOWED_USERS: '111, 222',
      OMNICLOUD_CONFIG_DIR: './some-config',
      API_AUTH_TOKEN: 'api-token-value',
    };
    const env = parseEnv(raw);
    const config = tenantsFromEnv(env);
    expect(config.source).toBeNull();
    expect(config.adminApiTokens).toEqual([]);
    expect([...config.tenants.values()]).toEqual([
      {
        id: 'default',
        configDir: resolve('./some-config'),
        telegram: {
          botToken: { env: 'TELEGRAM_BOT_TOKEN' },
          webhookSecret: { env: 'TELEGRAM_WEBHOOK_SECRET' },
          allowedUsers: [111, 222],
        },
        apiTokens: [{ env: 'API_AUTH_TOKEN' }],
      },
    ]);

    const resolved = await resolveSecrets(config, createEnvSecretResolver(env));
    expect(resolved.tenants.get('default' as never)?.secrets).toEqual({
      botToken: raw.TELEGRAM_BOT_TOKEN,
      webhookSecret: 'hook-secret-value',
      apiTokens: ['api-token-value'],
    });
    expect(resolved.secretValues.sort()).toEqual(
      [raw.TELEGRAM_BOT_TOKEN, 'hook-secret-value', 'api-token-value'].sort(),
    );
  });

  it('needs nothing: an API-only tenant with the bundled agent config', () => {
    const config = tenantsFromEnv(parseEnv({ OMNICLOUD_TENANT: 'acme' }));
    const tenant = config.tenants.get('acme' as never);
    expect(tenant?.telegram).toBeUndefined();
    expect(tenant?.apiTokens).toEqual([]);
    expect(tenant?.configDir).toMatch(/agent-config$/);
  });

  it('reports a bad tenant id or allowlist as a ConfigError on the variable', () => {
    const fields = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).issues.map((i) => [i.file, i.field]);
      }
      return [];
    };
    expect(fields(() => tenantsFromEnv(parseEnv({ OMNICLOUD_TENANT: '../x' })))).toEqual([
      ['environment', 'OMNICLOUD_TENANT'],
    ]);
    expect(
      fields(() => tenantsFromEnv(parseEnv({ TELEGRAM_BOT_TOKEN: 'x', TELEGRAM_ALLOWED_USERS: '1,@bob' }))),
    ).toEqual([['environment', 'TELEGRAM_ALLOWED_USERS']]);
  });

  it('uses the tenants file when one is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnicloud-tenants-'));
    try {
      mkdirSync(join(dir, 'acme'));
      const file = join(dir, 'tenants.yaml');
      writeFileSync(file, 'version: 1\ntenants:\n  acme: { configDir: acme }\n');
      const env = parseEnv({});
      expect([...loadTenants({ file, env }).tenants.keys()]).toEqual(['acme']);
      expect([...loadTenants({ file: undefined, env }).tenants.keys()]).toEqual(['default']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
