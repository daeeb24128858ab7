/**
 * Tenants: who a deployment serves. A tenants file (YAML, validated, secrets only by reference)
 * or, for a single tenant, the environment; then one `resolveSecrets` step reads the secret values
 * through an injected `SecretResolver`.
 */
export type {
  ResolvedTenant,
  ResolvedTenants,
  SecretRef,
  TenantBudgets,
  TenantConfig,
  TenantSecrets,
  TenantsConfig,
  TenantTelegram,
} from './types.js';
export { loadTenantsFile, parseTenantsFile } from './load.js';
export { loadTenants, tenantsFromEnv, type TenantEnv } from './env.js';
export {
  createEnvSecretResolver,
  createSecretResolver,
  resolveSecrets,
  SECRETS_MANAGER_REFERENCE_PREFIX,
  type SecretResolver,
} from './secrets.js';
export { describeSecretRef, looksLikeSecret, secretRefKey } from './secret-ref.js';
export { DEFAULT_MODEL_ALIASES, MODEL_ALIAS_RE, modelAliases } from './models.js';
export { describeFilePolicy, summarizeTenant, summarizeTenants } from './summary.js';
