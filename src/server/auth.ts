import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppEnv } from '../config/env.js';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { parseTenantId, type TenantId } from '../core/ids.js';
import { forbidden, unauthorized } from './errors.js';

/** Which tenants a caller may address: every tenant, or a fixed list. */
export type TenantScope = 'all' | readonly TenantId[];

/** The authenticated caller of one request. */
export interface ApiPrincipal {
  readonly mode: 'token' | 'iam';
  /** Who it is, for logs: `token:<label>` or the IAM caller's ARN. Never a secret. */
  readonly subject: string;
  readonly tenants: TenantScope;
}

/** What `authorize` can see: the request, and the Lambda request context when there is one. */
export interface AuthInput {
  readonly request: Request;
  /** `event.requestContext` of a Function URL / API Gateway event (undefined under Node). */
  readonly requestContext?: unknown;
}

/**
 * Authenticates API requests. Throws `ApiError` 401 when the caller is not authenticated; tenant
 * checks happen per route with `assertTenantAllowed`. Single-token deployments have one principal;
 * the multi-tenant work adds more tokens (each with its own scope) behind the same interface.
 */
export interface ApiAuth {
  readonly mode: 'token' | 'iam';
  authorize(input: AuthInput): Promise<ApiPrincipal>;
}

/** Digest both sides so the comparison is over equal lengths and takes constant time. */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

export interface TokenGrant {
  token: string;
  tenants: TenantScope;
  /** Label for logs (never the token). */
  label?: string;
}

/** Bearer-token auth: `Authorization: Bearer <token>`, compared in constant time against every grant. */
export function createTokenAuth(grants: readonly TokenGrant[]): ApiAuth {
  if (grants.length === 0 || grants.some((g) => g.token.length === 0)) {
    throw new Error('[server:auth] token auth needs at least one non-empty token');
  }
  return {
    mode: 'token',
    async authorize({ request }) {
      const header = request.headers.get('authorization') ?? '';
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      if (!match?.[1]) throw unauthorized('missing bearer token (Authorization: Bearer <token>)');
      const presented = match[1];
      // Compare against every grant (no early exit), so timing does not reveal which one matched.
      let found: TokenGrant | undefined;
      for (const grant of grants) {
        if (constantTimeEqual(presented, grant.token) && !found) found = grant;
      }
      if (!found) throw unauthorized('invalid bearer token');
      return { mode: 'token', subject: `token:${found.label ?? 'default'}`, tenants: found.tenants };
    },
  };
}

/**
 * IAM auth for a Function URL with `AuthType: AWS_IAM`: AWS has verified the SigV4 signature before
 * the function runs, and the event carries `requestContext.authorizer.iam`. A request without it did
 * not come through an IAM-authenticated URL (e.g. a local server) and is refused.
 */
export function createIamAuth(tenants: TenantScope): ApiAuth {
  return {
    mode: 'iam',
    async authorize({ requestContext }) {
      const arn = iamCallerArn(requestContext);
      if (!arn)
        throw unauthorized('IAM auth: request did not come through an IAM-authenticated Function URL');
      return { mode: 'iam', subject: arn, tenants };
    },
  };
}

function iamCallerArn(requestContext: unknown): string | undefined {
  if (typeof requestContext !== 'object' || requestContext === null) return undefined;
  const authorizer = (requestContext as { authorizer?: unknown }).authorizer;
  if (typeof authorizer !== 'object' || authorizer === null) return undefined;
  const iam = (authorizer as { iam?: unknown }).iam;
  if (typeof iam !== 'object' || iam === null) return undefined;
  const arn = (iam as { userArn?: unknown }).userArn;
  return typeof arn === 'string' && arn.length > 0 ? arn : undefined;
}

/** Throws 403 unless the principal may address `tenant`. */
export function assertTenantAllowed(principal: ApiPrincipal, tenant: TenantId): void {
  if (principal.tenants === 'all' || principal.tenants.includes(tenant)) return;
  throw forbidden(`tenant ${JSON.stringify(tenant)} is outside this caller's scope`);
}

/** Tokens that must never guard a production API (defaults from samples, docs and the original). */
export const WELL_KNOWN_TOKENS: readonly string[] = [
  'change-me-in-production',
  'changeme',
  'change-me',
  'changeit',
  'secret',
  'token',
  'test',
  'password',
  'admin',
  'default',
  'example',
  'your-token-here',
];
export const MIN_PRODUCTION_TOKEN_LENGTH = 32;

/** `API_AUTH_TENANTS` (`*` = all) or, by default, the deployment's own tenant. */
export function tenantScopeFromEnv(env: AppEnv): TenantScope {
  const list = env.API_AUTH_TENANTS ?? [];
  if (list.includes('*')) return 'all';
  if (list.length === 0) return [parseTenantId(env.OMNICLOUD_TENANT)];
  return list.map((t) => parseTenantId(t));
}

/**
 * Why a bearer token must not guard a production API, or undefined when it may: ≥ 32 characters,
 * not a well-known value and not trivially repetitive. Outside production any non-empty token does.
 */
export function weakTokenProblem(token: string, production: boolean): string | undefined {
  if (token.trim().length === 0) return 'is empty';
  if (!production) return undefined;
  const lower = token.toLowerCase();
  if (WELL_KNOWN_TOKENS.some((w) => lower === w || lower.includes('change-me'))) {
    return 'is a well-known default; generate one (e.g. `openssl rand -hex 32`)';
  }
  if (token.length < MIN_PRODUCTION_TOKEN_LENGTH) {
    return `must be at least ${MIN_PRODUCTION_TOKEN_LENGTH} characters in production`;
  }
  if (new Set(token).size < 8) return 'is too repetitive to be a random secret';
  return undefined;
}

/**
 * Refuses an unsafe API configuration before the server starts: token mode needs a token; in
 * production it must be ≥ 32 characters, not a well-known value and not trivially repetitive.
 */
export function assertApiAuthConfig(env: AppEnv): void {
  const issues: ConfigIssue[] = [];
  const add = (field: string, message: string): number =>
    issues.push({ file: 'environment', field, message });
  try {
    tenantScopeFromEnv(env);
  } catch {
    add('API_AUTH_TENANTS', 'must be `*` or a comma-separated list of tenant ids');
  }
  if (env.API_AUTH_MODE === 'token') {
    const token = env.API_AUTH_TOKEN ?? '';
    if (token.trim().length === 0) {
      add('API_AUTH_TOKEN', 'the agent API needs a token (or API_AUTH_MODE=iam behind an IAM Function URL)');
    } else {
      const problem = weakTokenProblem(token, env.OMNICLOUD_ENV === 'production');
      if (problem) add('API_AUTH_TOKEN', problem);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** The deployment's `ApiAuth` from the environment (after `assertApiAuthConfig`). */
export function createApiAuth(env: AppEnv): ApiAuth {
  assertApiAuthConfig(env);
  const tenants = tenantScopeFromEnv(env);
  if (env.API_AUTH_MODE === 'iam') return createIamAuth(tenants);
  return createTokenAuth([{ token: env.API_AUTH_TOKEN ?? '', tenants, label: 'env' }]);
}
