import { describe, expect, it } from 'vitest';
import type { SecretParameterClient } from '../config/secrets.js';
import { ConfigError } from '../core/errors.js';
import { parseTenantId, type TenantId } from '../core/ids.js';
import { createEnvSecretResolver, createSecretResolver, resolveSecrets } from './secrets.js';
import type { SecretRef, TenantConfig, TenantsConfig } from './types.js';

type TenantInput = Omit<Partial<TenantConfig>, 'id'> & { id: string };

function config(tenants: TenantInput[], admin: SecretRef[] = []): TenantsConfig {
  const map = new Map<TenantId, TenantConfig>();
  for (const t of tenants) {
    const id = parseTenantId(t.id);
    map.set(id, { configDir: '/cfg', apiTokens: [], ...t, id });
  }
  return { source: '/etc/omnicloud/tenants.yaml', tenants: map, adminApiTokens: admin };
}

function fakeParameters(values: Record<string, string>) {
  const calls: string[][] = [];
  const client: SecretParameterClient = {
    async getParameters(names) {
      calls.push([...names]);
      const found = new Map(names.filter((n) => n in values).map((n) => [n, values[n] as string]));
      return { values: found, invalid: names.filter((n) => !(n in values)) };
    },
  };
  return { client, calls };
}

function issues(err: unknown): Array<{ field: string; message: string }> {
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).issues.map(({ field, message }) => ({ field, message }));
}

describe('resolveSecrets', () => {
  it('reads env, SSM and Secrets Manager references in batches of ten, each name once', async () => {
    const values: Record<string, string> = { '/aws/reference/secretsmanager/acme/hook': 'hook-value' };
    const tenants = Array.from({ length: 11 }, (_, i): TenantInput => {
      values[`/omni/t${i}/bot`] = `bot-value-${i}`;
      return { id: `t${i}`, telegram: { botToken: { ssm: `/omni/t${i}/bot` } } };
    });
    tenants[0] = {
      id: 't0',
      telegram: { botToken: { ssm: '/omni/t0/bot' }, webhookSecret: { secretsManager: 'acme/hook' } },
      apiTokens: [{ env: 'T0_API' }],
    };
    const { client, calls } = fakeParameters(values);
    let created = 0;
    const resolver = createSecretResolver({
      env: { T0_API: 'api-value' },
      parameters: () => {
        created++;
        return client;
      },
    });
    const resolved = await resolveSecrets(config(tenants), resolver);
    expect(created).toBe(1);
    expect(calls.map((c) => c.length)).toEqual([10, 2]);
    expect(resolved.tenants.get(parseTenantId('t0'))?.secrets).toEqual({
      botToken: 'bot-value-0',
      webhookSecret: 'hook-value',
      apiTokens: ['api-value'],
    });
    expect(resolved.tenants.get(parseTenantId('t10'))?.secrets.botToken).toBe('bot-value-10');
    expect(resolved.secretValues).toHaveLength(13);
  });

  it('never creates the AWS client when every reference is an environment variable', async () => {
    const resolver = createSecretResolver({
      env: { A: 'a-value' },
      parameters: () => {
        throw new Error('must not be called');
      },
    });
    const resolved = await resolveSecrets(config([{ id: 'acme', apiTokens: [{ env: 'A' }] }]), resolver);
    expect(resolved.tenants.get(parseTenantId('acme'))?.secrets.apiTokens).toEqual(['a-value']);
  });

  it('lists every missing or empty secret by field and reference, never by value', async () => {
    const { client } = fakeParameters({ '/present': 'present-value' });
    const resolver = createSecretResolver({ env: { EMPTY: '' }, parameters: () => client });
    const err = await resolveSecrets(
      config(
        [
          {
            id: 'acme',
            telegram: { botToken: { ssm: '/absent' }, webhookSecret: { env: 'EMPTY' } },
            apiTokens: [{ ssm: '/present' }, { secretsManager: 'gone' }],
          },
        ],
        [{ env: 'ADMIN' }],
      ),
      resolver,
    ).catch((e: unknown) => e);
    expect(issues(err)).toEqual([
      {
        field: 'admin.apiTokens[0]',
        message: 'environment variable ADMIN is not set, empty or not readable',
      },
      {
        field: 'tenants.acme.telegram.botToken',
        message: 'SSM parameter /absent is not set, empty or not readable',
      },
      {
        field: 'tenants.acme.telegram.webhookSecret',
        message: 'environment variable EMPTY is not set, empty or not readable',
      },
      {
        field: 'tenants.acme.api.tokens[1]',
        message: 'Secrets Manager secret gone is not set, empty or not readable',
      },
    ]);
    expect((err as ConfigError).message).not.toContain('present-value');
    expect((err as ConfigError).issues[0]?.file).toBe('/etc/omnicloud/tenants.yaml');
  });

  it('refuses one secret value used by two tenants (different references, same bot)', async () => {
    const resolver = createEnvSecretResolver({ A_BOT: 'same-bot', B_BOT: 'same-bot', ADMIN: 'x-admin' });
    const err = await resolveSecrets(
      config([
        { id: 'acme', telegram: { botToken: { env: 'A_BOT' } } },
        { id: 'globex', telegram: { botToken: { env: 'B_BOT' } }, apiTokens: [{ env: 'ADMIN' }] },
      ]),
      resolver,
    ).catch((e: unknown) => e);
    expect(issues(err)).toEqual([
      {
        field: 'tenants.globex.telegram.botToken',
        message: 'has the same value as a secret of tenant acme: each tenant needs its own',
      },
    ]);
    expect((err as ConfigError).message).not.toContain('same-bot');
  });

  it('says so when an AWS reference meets a resolver without AWS access', async () => {
    const tenants = config([{ id: 'acme', apiTokens: [{ ssm: '/x' }] }]);
    expect(
      issues(await resolveSecrets(tenants, createSecretResolver({ env: {} })).catch((e: unknown) => e)),
    ).toEqual([{ field: 'ssm:/x', message: 'SSM parameter /x: no AWS secret client configured' }]);
    expect(
      issues(await resolveSecrets(tenants, createEnvSecretResolver({})).catch((e: unknown) => e)),
    ).toEqual([
      {
        field: 'ssm:/x',
        message:
          'SSM parameter /x: only environment variables can be read here (no AWS secret client configured)',
      },
    ]);
  });
});
