import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { ENV_SCHEMA, parseEnv } from './env.js';
import { resolveSecrets, secretVariables, type SecretParameterClient } from './secrets.js';

/**
 * Our mapping logic is tested against an injected fake client; the real `@aws-sdk/client-ssm` wiring
 * against a local SSM JSON endpoint in `aws/ssm.test.ts`.
 */
function fakeClient(store: Record<string, string>) {
  const calls: string[][] = [];
  const client: SecretParameterClient = {
    async getParameters(names) {
      calls.push([...names]);
      const values = new Map(names.filter((n) => n in store).map((n) => [n, store[n]!] as const));
      return { values, invalid: names.filter((n) => !(n in store)) };
    },
  };
  return { client, calls };
}

describe('secretVariables', () => {
  it('derives X_PARAM → X from ENV_SCHEMA and every target is a real variable', () => {
    const vars = secretVariables();
    expect(vars.map((v) => v.paramVar)).toEqual(
      expect.arrayContaining([
        'TELEGRAM_BOT_TOKEN_PARAM',
        'TELEGRAM_WEBHOOK_SECRET_PARAM',
        'API_AUTH_TOKEN_PARAM',
        'ANTHROPIC_API_KEY_PARAM',
      ]),
    );
    for (const v of vars) expect(Object.keys(ENV_SCHEMA.shape)).toContain(v.target);
  });
});

describe('resolveSecrets', () => {
  it('reads every configured parameter in one batch call and merges values before parseEnv', async () => {
    const { client, calls } = fakeClient({
      '/oc/bot': 'bot-token-value',
      '/oc/api': 'api-token-value-0123456789',
    });
    let built = 0;
    const result = await resolveSecrets(
      {
        TELEGRAM_BOT_TOKEN_PARAM: '/oc/bot',
        API_AUTH_TOKEN_PARAM: '/oc/api',
        ANTHROPIC_API_KEY_PARAM: '',
        OTHER: 'x',
      },
      { client: () => (built++, client) },
    );
    expect(built).toBe(1);
    expect(calls).toEqual([['/oc/bot', '/oc/api']]);
    expect(result.calls).toBe(1);
    expect(result.env).toMatchObject({
      TELEGRAM_BOT_TOKEN: 'bot-token-value',
      API_AUTH_TOKEN: 'api-token-value-0123456789',
      OTHER: 'x',
    });
    expect(result.env.ANTHROPIC_API_KEY).toBeUndefined();
    expect(result.secrets.sort()).toEqual(['api-token-value-0123456789', 'bot-token-value']);
    expect(parseEnv(result.env).TELEGRAM_BOT_TOKEN).toBe('bot-token-value');
  });

  it('never builds a client when no parameter is configured (local use never loads the AWS SDK)', async () => {
    const result = await resolveSecrets(
      { TELEGRAM_BOT_TOKEN: 'local' },
      {
        client: () => {
          throw new Error('must not be called');
        },
      },
    );
    expect(result).toEqual({ env: { TELEGRAM_BOT_TOKEN: 'local' }, secrets: [], calls: 0 });
  });

  it('dedupes names shared by two variables', async () => {
    const { client, calls } = fakeClient({ '/oc/shared': 'same-value' });
    const result = await resolveSecrets(
      { TELEGRAM_WEBHOOK_SECRET_PARAM: '/oc/shared', API_AUTH_TOKEN_PARAM: '/oc/shared' },
      { client: () => client },
    );
    expect(calls).toEqual([['/oc/shared']]);
    expect(result.env.TELEGRAM_WEBHOOK_SECRET).toBe('same-value');
    expect(result.env.API_AUTH_TOKEN).toBe('same-value');
  });

  it('reports every missing or empty parameter at once, naming variables, never values', async () => {
    const { client } = fakeClient({ '/oc/empty': '', '/oc/bot': 'bot-token-value' });
    const err = await resolveSecrets(
      {
        TELEGRAM_BOT_TOKEN_PARAM: '/oc/bot',
        API_AUTH_TOKEN_PARAM: '/oc/missing',
        ANTHROPIC_API_KEY_PARAM: '/oc/empty',
      },
      { client: () => client },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.map((i) => i.field).sort();
    expect(issues).toEqual(['ANTHROPIC_API_KEY_PARAM', 'API_AUTH_TOKEN_PARAM']);
    expect((err as Error).message).toContain('/oc/missing');
    expect((err as Error).message).not.toContain('bot-token-value');
  });

  it('refuses a plain value and a parameter for the same variable', async () => {
    await expect(
      resolveSecrets(
        { TELEGRAM_BOT_TOKEN: 'plain', TELEGRAM_BOT_TOKEN_PARAM: '/oc/bot' },
        { client: () => fakeClient({}).client },
      ),
    ).rejects.toThrow(/either TELEGRAM_BOT_TOKEN or TELEGRAM_BOT_TOKEN_PARAM/);
  });

  it('wraps client failures (access denied) in a ConfigError naming the parameters', async () => {
    const failing: SecretParameterClient = {
      async getParameters() {
        throw Object.assign(new Error('User is not authorized to perform ssm:GetParameters'), {
          name: 'AccessDeniedException',
        });
      },
    };
    await expect(
      resolveSecrets({ TELEGRAM_BOT_TOKEN_PARAM: '/oc/bot' }, { client: () => failing }),
    ).rejects.toThrow(/\/oc\/bot.*not authorized/s);
  });

  it('reads all secret variables of the schema in a single call', async () => {
    const vars = secretVariables();
    expect(vars.length).toBeLessThanOrEqual(10); // one GetParameters call holds up to 10 names
    const store = Object.fromEntries(vars.map((v, i) => [`/p/${i}`, `value-${i}`]));
    const { client, calls } = fakeClient(store);
    const result = await resolveSecrets(Object.fromEntries(vars.map((v, i) => [v.paramVar, `/p/${i}`])), {
      client: () => client,
    });
    expect(calls).toHaveLength(1);
    expect(result.secrets).toHaveLength(vars.length);
  });
});
