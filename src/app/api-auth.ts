import type { AppEnv } from '../config/env.js';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import {
  createApiAuth,
  createIamAuth,
  createTokenAuth,
  tenantScopeFromEnv,
  weakTokenProblem,
  type ApiAuth,
  type TokenGrant,
} from '../server/index.js';
import type { ResolvedTenants } from '../tenants/index.js';

/**
 * Bearer-token grants of a tenants file: each tenant's tokens authorise that tenant only, the
 * admin tokens every tenant. Labels name the owner and position, never the token.
 */
export function tokenGrants(tenants: ResolvedTenants): TokenGrant[] {
  const grants: TokenGrant[] = tenants.adminApiTokens.map((token, i) => ({
    token,
    tenants: 'all',
    label: `admin[${i}]`,
  }));
  for (const t of tenants.tenants.values()) {
    t.secrets.apiTokens.forEach((token, i) =>
      grants.push({ token, tenants: [t.id], label: `${t.id}[${i}]` }),
    );
  }
  return grants;
}

/**
 * The API's auth. Without a tenants file: the environment's (API_AUTH_TOKEN / IAM, API_AUTH_TENANTS).
 * With one: IAM mode keeps API_AUTH_TENANTS for the IAM caller; token mode takes the tokens of
 * the file (per tenant + admin), each checked for strength in production.
 */
export function buildApiAuth(env: AppEnv, tenants: ResolvedTenants): ApiAuth {
  if (tenants.source === null) return createApiAuth(env);
  if (env.API_AUTH_MODE === 'iam') return createIamAuth(tenantScopeFromEnv(env));
  const grants = tokenGrants(tenants);
  const production = env.OMNICLOUD_ENV === 'production';
  const issues: ConfigIssue[] = grants.flatMap((g) => {
    const problem = weakTokenProblem(g.token, production);
    return problem
      ? [{ file: tenants.source ?? 'environment', field: `API token ${g.label}`, message: problem }]
      : [];
  });
  if (grants.length === 0) {
    issues.push({
      file: tenants.source,
      field: 'tenants.*.api.tokens',
      message:
        'the agent API needs at least one token (a tenant token or admin.apiTokens), or API_AUTH_MODE=iam',
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return createTokenAuth(grants);
}

/**
 * The tokens a browser may sign in to the console with: the API's bearer tokens (after
 * `buildApiAuth` checked them). None in IAM mode: the console is served only with token auth.
 */
export function consoleGrants(env: AppEnv, tenants: ResolvedTenants): TokenGrant[] | undefined {
  if (env.API_AUTH_MODE === 'iam') return undefined;
  if (tenants.source !== null) return tokenGrants(tenants);
  return [{ token: env.API_AUTH_TOKEN ?? '', tenants: tenantScopeFromEnv(env), label: 'env' }];
}
