import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { loadTenantsFile, parseTenantsFile } from './load.js';

const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const HEX_SECRET = 'a3f9c2e1b4d5a6f7e8c9d0b1a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1';

const VALID = `
version: 1
admin:
  apiTokens:
    - ssm: /omnicloud/prod/admin-api-token
tenants:
  acme:
    configDir: ./acme
    telegram:
      botToken: { ssm: /omnicloud/prod/acme/bot-token }
      webhookSecret: { secretsManager: "arn:aws:secretsmanager:us-east-1:123456789012:secret:acme-hook-AbCdEf" }
      allowedUsers: [123456789, "987654321"]
      approvers: ["555000111"]
    api:
      tokens:
        - env: ACME_API_TOKEN
    model: sonnet
    models: { fast: haiku, bedrock-sonnet: "us.anthropic.claude-sonnet-4-5-20250929-v1:0" }
    provider: bedrock
    budgets:
      tenant: { dayUsd: 20, monthUsd: 300 }
      user: { dayUsd: 5 }
  globex:
    configDir: configs/globex
    api:
      tokens: [{ env: GLOBEX_API_TOKEN }]
`;

function issuesOf(fn: () => unknown): Array<{ field: string; message: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map(({ field, message }) => ({ field, message }));
  }
  throw new Error('expected a ConfigError');
}

describe('tenants file', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'omnicloud-tenants-'));
    file = join(dir, 'tenants.yaml');
    mkdirSync(join(dir, 'acme'));
    mkdirSync(join(dir, 'configs', 'globex'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const parse = (text: string) => parseTenantsFile(text, file);
  const withTenant = (body: string) =>
    `version: 1\ntenants:\n  acme:\n    configDir: ./acme\n${body
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}\n`;

  it('loads every setting, with folders relative to the file', () => {
    writeFileSync(file, VALID);
    const config = loadTenantsFile(file);
    expect(config.source).toBe(file);
    expect([...config.tenants.keys()]).toEqual(['acme', 'globex']);
    expect(config.adminApiTokens).toEqual([{ ssm: '/omnicloud/prod/admin-api-token' }]);
    expect(config.tenants.get('acme' as never)).toEqual({
      id: 'acme',
      configDir: join(dir, 'acme'),
      telegram: {
        botToken: { ssm: '/omnicloud/prod/acme/bot-token' },
        webhookSecret: {
          secretsManager: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:acme-hook-AbCdEf',
        },
        allowedUsers: [123456789, 987654321],
        approvers: [555000111],
      },
      apiTokens: [{ env: 'ACME_API_TOKEN' }],
      model: 'sonnet',
      models: { fast: 'haiku', 'bedrock-sonnet': 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' },
      provider: 'bedrock',
      budgets: { tenant: { dayUsd: 20, monthUsd: 300 }, user: { dayUsd: 5 } },
    });
    expect(config.tenants.get('globex' as never)).toEqual({
      id: 'globex',
      configDir: join(dir, 'configs', 'globex'),
      apiTokens: [{ env: 'GLOBEX_API_TOKEN' }],
    });
  });

  it('refuses model aliases people could not type or ids the SDK would not take, by field', () => {
    expect(issuesOf(() => parse(withTenant('models: { "Fast Model": haiku }')))).toEqual([
      expect.objectContaining({ field: 'tenants.acme.models.Fast Model' }),
    ]);
    expect(issuesOf(() => parse(withTenant('models: { fast: "haiku; rm -rf /" }')))).toEqual([
      expect.objectContaining({ field: 'tenants.acme.models.fast' }),
    ]);
    expect(issuesOf(() => parse(withTenant('models: {}')))[0]?.field).toBe('tenants.acme.models');
    expect(issuesOf(() => parse(withTenant('models: { default: opus }')))).toEqual([
      expect.objectContaining({
        field: 'tenants.acme.models.default',
        message: expect.stringContaining('reserved'),
      }),
    ]);
    expect(issuesOf(() => parse(withTenant('models: [haiku, opus]')))[0]?.field).toBe('tenants.acme.models');
  });

  it('accepts the same content as JSON', () => {
    const json = JSON.stringify({
      version: 1,
      tenants: { acme: { configDir: 'acme', telegram: { botToken: { env: 'ACME_BOT_TOKEN' } } } },
    });
    const config = parseTenantsFile(json, join(dir, 'tenants.json'));
    expect(config.tenants.get('acme' as never)?.telegram?.botToken).toEqual({ env: 'ACME_BOT_TOKEN' });
  });

  it('rejects an inline bot token without repeating it', () => {
    let error: unknown;
    try {
      parse(withTenant(`telegram:\n  botToken: "${BOT_TOKEN}"`));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.issues).toEqual([
      {
        file,
        field: 'tenants.acme.telegram.botToken',
        message: expect.stringContaining('looks like an inline secret (a Telegram bot token)'),
      },
    ]);
    expect(e.message).toContain('tenants.acme.telegram.botToken');
    expect(e.message).not.toContain('AAHdqTcv');
    expect(e.stack ?? '').not.toContain('AAHdqTcv');
  });

  it('rejects secrets disguised as reference names, plain strings and malformed references', () => {
    const issues = issuesOf(() =>
      parse(
        withTenant(
          [
            'telegram:',
            `  botToken: { env: "${BOT_TOKEN}" }`,
            `  webhookSecret: { ssm: ${HEX_SECRET} }`,
            'api:',
            '  tokens:',
            '    - ACME_API_TOKEN',
            '    - { env: A, ssm: /b }',
            '    - { vault: x }',
            '    - { env: "has space" }',
            '    - { secretsManager: sk-ant-api03-abcdefghijklmnopqrstuvwxyz }',
          ].join('\n'),
        ),
      ),
    );
    expect(issues).toEqual([
      {
        field: 'tenants.acme.telegram.botToken',
        message: expect.stringContaining('env: looks like an inline secret'),
      },
      {
        field: 'tenants.acme.telegram.webhookSecret',
        message: expect.stringContaining('ssm: looks like an inline secret (a random hex string)'),
      },
      {
        field: 'tenants.acme.api.tokens[0]',
        message: expect.stringContaining('must be a secret reference, not a plain value'),
      },
      {
        field: 'tenants.acme.api.tokens[1]',
        message: expect.stringContaining('exactly one of env, ssm, secretsManager'),
      },
      { field: 'tenants.acme.api.tokens[2]', message: expect.stringContaining('(got "vault")') },
      {
        field: 'tenants.acme.api.tokens[3]',
        message: 'env: must be an environment variable name (letters, digits, _)',
      },
      { field: 'tenants.acme.api.tokens[4]', message: expect.stringContaining('(an API key)') },
    ]);
    expect(JSON.stringify(issues)).not.toContain(HEX_SECRET);
  });

  it('lists every problem of the file at once, each with its field', () => {
    const issues = issuesOf(() =>
      parse(`
tenants:
  Acme!:
    configDir: ./acme
  acme:
    configDir: ./missing
    modle: sonnet
    telegram:
      allowedUsers: [bob, 12]
      approvers: [-3]
    budgets:
      tenant: { dayUsd: -1 }
      user: { weekUsd: 3 }
    provider: openai
`),
    );
    const fields = issues.map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'version',
        'tenants.acme.modle',
        'tenants.acme.telegram.botToken',
        'tenants.acme.telegram.allowedUsers[0]',
        'tenants.acme.telegram.approvers[0]',
        'tenants.acme.budgets.tenant.dayUsd',
        'tenants.acme.budgets.user.weekUsd',
        'tenants.acme.provider',
        'tenants.Acme!',
        'tenants.acme.configDir',
      ]),
    );
    expect(issues.find((i) => i.field === 'tenants.acme.modle')?.message).toBe('unknown field');
    expect(issues.find((i) => i.field === 'tenants.acme.telegram.botToken')?.message).toMatch(/^is required/);
    expect(issues.find((i) => i.field === 'tenants.Acme!')?.message).toContain('invalid tenant id');
    expect(issues.find((i) => i.field === 'tenants.acme.budgets.tenant.dayUsd')?.message).toContain('≥ 0');
  });

  it('reads a model request budget and names the field when it is not a whole number ≥ 1', () => {
    const ok = parse(withTenant('budgets: { modelRequestsPerMinute: 600, tenant: { dayUsd: 5 } }'));
    expect(ok.tenants.get('acme' as never)?.budgets).toEqual({
      modelRequestsPerMinute: 600,
      tenant: { dayUsd: 5 },
    });
    const field = 'tenants.acme.budgets.modelRequestsPerMinute';
    const cases: Array<[string, RegExp]> = [
      ['0', /≥ 1/],
      ['-5', /≥ 1/],
      ['2.5', /whole number/],
      ['"600"', /whole number/],
      ['2000000', /at most 1000000/],
    ];
    for (const [value, message] of cases) {
      const issues = issuesOf(() => parse(withTenant(`budgets: { modelRequestsPerMinute: ${value} }`)));
      expect(issues, value).toEqual([{ field, message: expect.stringMatching(message) }]);
    }
    // The message names the file and the field, like every other setting.
    expect(() => parse(withTenant('budgets: { modelRequestsPerMinute: 0 }'))).toThrow(`${file} → ${field}`);
  });

  it.each([
    { field: 'nonForumGroups', values: ['respond'], wrong: 'sometimes', allowed: "'ignore' or 'respond'" },
    {
      field: 'editedMessages',
      values: ['new-turn', 'ignore'],
      wrong: 'always',
      allowed: "'ignore' or 'new-turn'",
    },
    {
      field: 'busyMessages',
      values: ['one-by-one', 'merge'],
      wrong: 'queue',
      allowed: "'merge' or 'one-by-one'",
    },
  ])(
    'reads telegram.$field and names the file and the field of a wrong value',
    ({ field, values, wrong, allowed }) => {
      const withSetting = (value: string) => `
version: 1
tenants:
  acme:
    configDir: ./acme
    telegram:
      botToken: { ssm: /omnicloud/prod/acme/bot-token }
      ${field}: ${value}
`;
      for (const value of values) {
        const telegram: object | undefined = parse(withSetting(value)).tenants.get('acme' as never)?.telegram;
        expect(telegram).toHaveProperty(field, value);
      }
      expect(issuesOf(() => parse(withSetting(wrong)))).toEqual([
        { field: `tenants.acme.telegram.${field}`, message: `must be ${allowed}` },
      ]);
      expect(() => parse(withSetting('yes'))).toThrow(
        `tenants.yaml → tenants.acme.telegram.${field}: must be ${allowed}`,
      );
    },
  );

  it('reports a missing agent-config folder', () => {
    expect(issuesOf(() => parse('version: 1\ntenants:\n  acme:\n    configDir: ./nope\n'))).toEqual([
      { field: 'tenants.acme.configDir', message: `folder ${join(dir, 'nope')} does not exist` },
    ]);
  });

  it('refuses a secret reference shared by two tenants', () => {
    const text = `
version: 1
admin: { apiTokens: [{ env: SHARED }] }
tenants:
  acme:
    configDir: ./acme
    telegram: { botToken: { env: BOT } }
  globex:
    configDir: configs/globex
    telegram: { botToken: { env: BOT } }
    api: { tokens: [{ env: SHARED }] }
`;
    expect(issuesOf(() => parse(text))).toEqual([
      {
        field: 'tenants.globex.telegram.botToken',
        message: 'same secret reference as tenant acme: each tenant needs its own',
      },
      {
        field: 'tenants.globex.api.tokens[0]',
        message: 'same secret reference as the admin tokens: each tenant needs its own',
      },
    ]);
  });

  it('reports YAML errors by line without echoing the source, and a missing file plainly', () => {
    const issues = issuesOf(() =>
      parse(`version: 1\ntenants:\n  acme:\n    botToken: "${BOT_TOKEN}\n  x: [\n`),
    );
    expect(issues[0]?.message).toMatch(/^not valid YAML: .*line \d+/);
    expect(JSON.stringify(issues)).not.toContain('AAHdqTcv');
    expect(issuesOf(() => parse('version: 1\nversion: 1\ntenants: {}\n'))[0]?.message).toContain('unique');
    expect(issuesOf(() => loadTenantsFile(join(dir, 'absent.yaml')))).toEqual([
      { field: '', message: 'file not found' },
    ]);
    expect(issuesOf(() => parse('version: 1\ntenants: {}\n'))).toEqual([
      { field: 'tenants', message: 'must list at least one tenant' },
    ]);
    expect(issuesOf(() => parse(''))[0]?.message).toBeTruthy();
  });
});
