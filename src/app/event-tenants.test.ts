import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import { parseTenantId } from '../core/ids.js';
import { createEnvSecretResolver, resolveSecrets } from '../tenants/secrets.js';
import { parseTenantsFile } from '../tenants/load.js';
import { tenantsFromEnv } from '../tenants/env.js';
import { assertEventTokens, eventTenantLookup } from './event-tenants.js';

const STRONG = 'f3a9c2e1b4d5a6f7e8c9d0b1a2f3e4d5';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnicloud-event-tenants-'));
  mkdirSync(join(dir, 'acme'));
  mkdirSync(join(dir, 'beta'));
  writeFileSync(
    join(dir, 'acme', 'events.yaml'),
    'version: 1\nroutes:\n  - name: prod\n    prompt: "Look at {{alarm}}"\n    target: { chat: -100 }\n',
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const FILE = `
version: 1
tenants:
  acme:
    configDir: ./acme
    events:
      tokens: [{ env: ACME_EVENTS }]
  beta:
    configDir: ./beta
`;

describe('event tokens in the tenants file', () => {
  it('resolves events.tokens into secrets.eventTokens and serves routes per tenant', async () => {
    const config = parseTenantsFile(FILE, join(dir, 'tenants.yaml'));
    const resolved = await resolveSecrets(config, createEnvSecretResolver({ ACME_EVENTS: STRONG }));
    expect(resolved.tenants.get(parseTenantId('acme'))?.secrets.eventTokens).toEqual([STRONG]);
    expect(resolved.secretValues).toContain(STRONG);
    const lookup = eventTenantLookup(resolved);
    const acme = await lookup(parseTenantId('acme'));
    expect(acme?.tokens).toEqual([STRONG]);
    expect(acme?.routes.map((r) => r.name)).toEqual(['prod']);
    expect(await lookup(parseTenantId('beta'))).toBeUndefined(); // no event tokens: endpoint off
    expect(await lookup(parseTenantId('nobody'))).toBeUndefined();
  });

  it('refuses an empty token list and a missing secret by field', async () => {
    expect(() =>
      parseTenantsFile(FILE.replace('tokens: [{ env: ACME_EVENTS }]', 'tokens: []'), join(dir, 't.yaml')),
    ).toThrow(/tenants\.acme\.events\.tokens: must list at least one token/);
    const config = parseTenantsFile(FILE, join(dir, 'tenants.yaml'));
    await expect(resolveSecrets(config, createEnvSecretResolver({}))).rejects.toThrow(
      /tenants\.acme\.events\.tokens\[0\]/,
    );
  });

  it('refuses weak tokens in production, and OMNICLOUD_EVENTS_TOKEN set empty', async () => {
    const config = parseTenantsFile(FILE, join(dir, 'tenants.yaml'));
    const weak = await resolveSecrets(config, createEnvSecretResolver({ ACME_EVENTS: 'changeme' }));
    const prod = parseEnv({ OMNICLOUD_ENV: 'production' });
    expect(() => assertEventTokens(prod, weak)).toThrow(ConfigError);
    expect(() => assertEventTokens(parseEnv({}), weak)).not.toThrow();
    const strong = await resolveSecrets(config, createEnvSecretResolver({ ACME_EVENTS: STRONG }));
    expect(() => assertEventTokens(prod, strong)).not.toThrow();
    const emptyEnv = parseEnv({ OMNICLOUD_ENV: 'production', OMNICLOUD_EVENTS_TOKEN: '' });
    expect(() => assertEventTokens(emptyEnv, strong)).toThrow(/OMNICLOUD_EVENTS_TOKEN/);
  });

  it('single-tenant mode takes OMNICLOUD_EVENTS_TOKEN', async () => {
    const env = parseEnv({ OMNICLOUD_EVENTS_TOKEN: STRONG, OMNICLOUD_CONFIG_DIR: join(dir, 'acme') });
    const resolved = await resolveSecrets(tenantsFromEnv(env), createEnvSecretResolver(env));
    const tenant = await eventTenantLookup(resolved)(parseTenantId('default'));
    expect(tenant?.tokens).toEqual([STRONG]);
    expect(tenant?.routes).toHaveLength(1);
  });
});
