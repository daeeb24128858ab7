import type { ModelProvider } from '../agent/provider.js';
import { awsCredentials } from '../aws/index.js';
import { createSsmParameterClient } from '../aws/ssm.js';
import type { AppEnv } from '../config/env.js';
import { ConfigError, OmniError, type ConfigIssue } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import {
  createSecretResolver,
  loadTenants,
  resolveSecrets,
  type ResolvedTenants,
  type SecretResolver,
} from '../tenants/index.js';

/**
 * A resolver for tenant secret references: `env` from the environment (the parsed one wins, so
 * `*_PARAM` values resolved at a Lambda cold start count), `ssm`/`secretsManager` through SSM
 * `GetParameters` (the AWS SDK is loaded only when a tenant references one).
 */
export function tenantSecretResolver(
  env: AppEnv,
  rawEnv: Record<string, string | undefined>,
): SecretResolver {
  const credentials = awsCredentials(env);
  return createSecretResolver({
    env: { ...rawEnv, ...env },
    parameters: () =>
      createSsmParameterClient({
        ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
        ...(credentials ? { credentials } : {}),
      }),
  });
}

/**
 * The deployment's tenants with their secrets read: the tenants file when OMNICLOUD_TENANTS_FILE is
 * set, else the single tenant of the environment. Throws one `ConfigError` with every problem.
 */
export async function loadResolvedTenants(
  env: AppEnv,
  rawEnv: Record<string, string | undefined>,
  resolver: SecretResolver = tenantSecretResolver(env, rawEnv),
): Promise<ResolvedTenants> {
  const config = loadTenants({ file: env.OMNICLOUD_TENANTS_FILE, env });
  return resolveSecrets(config, resolver);
}

/**
 * A tenant may name its provider only if the deployment has it: the runner talks to one provider
 * per process. The offline demo model stands in for any provider outside production.
 */
export function assertTenantProviders(tenants: ResolvedTenants, provider: ModelProvider): void {
  if (provider.kind === 'offline') return;
  const issues: ConfigIssue[] = [];
  for (const t of tenants.tenants.values()) {
    if (t.provider !== undefined && t.provider !== provider.kind) {
      issues.push({
        file: tenants.source ?? 'environment',
        field: `tenants.${t.id}.provider`,
        message: `${t.provider} is not the provider of this deployment (${provider.kind})`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** A turn or request for a tenant the tenants file does not list (removed, or a typo). */
export class UnknownTenantError extends OmniError {
  constructor(tenant: string) {
    super(
      'unknown_tenant',
      `[tenants] tenant ${JSON.stringify(tenant)} is not configured in this deployment`,
      {
        status: 404,
      },
    );
  }
}

/**
 * A tenant's own agent-config folder. With a tenants file, an unlisted tenant has no agent at all
 * (never another tenant's). Without one (a single-tenant setup), every tenant id the caller may use
 * shares the environment's folder, as before multi-tenancy; each still gets its own workspace.
 */
export function configDirOf(tenants: ResolvedTenants, tenant: TenantId): string {
  const found = tenants.tenants.get(tenant);
  if (found) return found.configDir;
  const only = [...tenants.tenants.values()][0];
  if (tenants.source === null && only) return only.configDir;
  throw new UnknownTenantError(tenant);
}
