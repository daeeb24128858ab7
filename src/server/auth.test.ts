import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { parseEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import {
  assertApiAuthConfig,
  assertTenantAllowed,
  createApiAuth,
  createTokenAuth,
  tenantScopeFromEnv,
} from './auth.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const STRONG = 'aQ3-9vX_mP2r7Kt5Ls8Wn1Bc6Hd4Jf0Gz';
const req = (authorization?: string) =>
  new Request('http://x/v1/chat', { headers: authorization ? { authorization } : {} });

describe('token auth', () => {
  it('compares digests with crypto.timingSafeEqual against every grant (no early exit)', async () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    const auth = createTokenAuth([
      { token: STRONG, tenants: 'all', label: 'ops' },
      { token: `${STRONG}-2`, tenants: ['acme' as TenantId], label: 'acme' },
    ]);
    const principal = await auth.authorize({ request: req(`Bearer ${STRONG}`) });
    expect(principal).toEqual({ mode: 'token', subject: 'token:ops', tenants: 'all' });
    expect(spy).toHaveBeenCalledTimes(2);
    for (const [a, b] of spy.mock.calls) expect((a as Buffer).length).toBe((b as Buffer).length);
    spy.mockClear();
    await expect(auth.authorize({ request: req('Bearer short') })).rejects.toMatchObject({ status: 401 });
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('rejects empty token grants at construction', () => {
    expect(() => createTokenAuth([{ token: '', tenants: 'all' }])).toThrow(/non-empty/);
  });

  it('scopes tenants', () => {
    const principal = { mode: 'token' as const, subject: 't', tenants: ['acme' as TenantId] };
    expect(() => assertTenantAllowed(principal, 'acme' as TenantId)).not.toThrow();
    expect(() => assertTenantAllowed(principal, 'other' as TenantId)).toThrow(/outside/);
  });
});

describe('assertApiAuthConfig', () => {
  const prod = (extra: Record<string, string>) => parseEnv({ OMNICLOUD_ENV: 'production', ...extra });

  it.each([
    ['empty', ''],
    ['the original default', 'change-me-in-production'],
    ['changeme', 'changeme'],
    ['test', 'test'],
    ['short', 'a1b2c3d4e5f6'],
    ['repetitive', 'abababababababababababababababababab'],
  ])('refuses %s tokens in production', (_label, token) => {
    expect(() => assertApiAuthConfig(prod({ API_AUTH_TOKEN: token }))).toThrow(ConfigError);
    try {
      assertApiAuthConfig(prod({ API_AUTH_TOKEN: token }));
    } catch (err) {
      expect((err as ConfigError).issues[0]?.field).toBe('API_AUTH_TOKEN');
      if (token.length > 6) expect((err as Error).message).not.toContain(token);
    }
  });

  it('accepts a strong token, IAM mode without a token, and weak tokens outside production', () => {
    expect(() => assertApiAuthConfig(prod({ API_AUTH_TOKEN: STRONG }))).not.toThrow();
    expect(() => assertApiAuthConfig(prod({ API_AUTH_MODE: 'iam' }))).not.toThrow();
    expect(() => assertApiAuthConfig(parseEnv({ API_AUTH_TOKEN: 'test' }))).not.toThrow();
    expect(() => assertApiAuthConfig(parseEnv({}))).toThrow(/API_AUTH_TOKEN/);
  });

  it('tenant scope: default tenant, a list, or * for all', () => {
    expect(tenantScopeFromEnv(parseEnv({ OMNICLOUD_TENANT: 'acme' }))).toEqual(['acme']);
    expect(tenantScopeFromEnv(parseEnv({ API_AUTH_TENANTS: 'a, b' }))).toEqual(['a', 'b']);
    expect(tenantScopeFromEnv(parseEnv({ API_AUTH_TENANTS: '*' }))).toBe('all');
    expect(() =>
      assertApiAuthConfig(parseEnv({ API_AUTH_TOKEN: STRONG, API_AUTH_TENANTS: 'Bad/Tenant' })),
    ).toThrow(/API_AUTH_TENANTS/);
  });

  it('createApiAuth builds the configured mode', async () => {
    expect(createApiAuth(prod({ API_AUTH_MODE: 'iam' })).mode).toBe('iam');
    const auth = createApiAuth(prod({ API_AUTH_TOKEN: STRONG }));
    await expect(auth.authorize({ request: req(`Bearer ${STRONG}`) })).resolves.toMatchObject({
      tenants: ['default'],
    });
  });
});
