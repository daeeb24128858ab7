import { DEFAULT_FILE_POLICY, FILE_KINDS, type FilePolicy } from '../files/types.js';
import { modelAliases } from './models.js';
import type { TenantConfig, TenantsConfig } from './types.js';

/** `image, pdf up to 10 MB`; `every kind up to 20 MB (default)`; `no files (allow: [])`. */
export function describeFilePolicy(policy: FilePolicy | undefined): string {
  const p = policy ?? DEFAULT_FILE_POLICY;
  if (p.allow.length === 0) return 'no files (allow: [])';
  const kinds = FILE_KINDS.every((k) => p.allow.includes(k)) ? 'every kind' : p.allow.join(', ');
  const mb = p.maxBytes / (1024 * 1024);
  const size = Number.isInteger(mb) ? `${mb} MB` : `${mb.toFixed(2).replace(/0+$/, '')} MB`;
  return `${kinds} up to ${size}${policy ? '' : ' (default)'}`;
}

/** One line per tenant setting worth checking before a deploy (no secrets: references only by kind). */
export function summarizeTenant(tenant: TenantConfig): string[] {
  const budgets = tenant.budgets
    ? [
        tenant.budgets.tenant && `tenant ${usd(tenant.budgets.tenant)}`,
        tenant.budgets.user && `per user ${usd(tenant.budgets.user)}`,
        tenant.budgets.modelRequestsPerMinute !== undefined &&
          `${tenant.budgets.modelRequestsPerMinute} model requests/min`,
      ].filter(Boolean)
    : [];
  return [
    `    - ${tenant.id}: ${[tenant.telegram ? 'Telegram' : undefined, tenant.apiTokens.length > 0 ? 'API' : undefined].filter(Boolean).join(' + ') || 'no front end'}; config ${tenant.configDir}`,
    `      model: ${tenant.model ?? 'default'}${tenant.provider ? ` (${tenant.provider})` : ''}; budgets: ${budgets.length > 0 ? budgets.join(', ') : 'none'}`,
    `      /model choices: ${describeModels(tenant)}`,
    `      files: ${describeFilePolicy(tenant.files)}`,
  ];
}

/** `fast = haiku, deep = opus`; the SDK's aliases marked as the default when `models` is absent. */
export function describeModels(tenant: Pick<TenantConfig, 'models'>): string {
  const models = modelAliases(tenant);
  const list = Object.entries(models)
    .map(([alias, id]) => (alias === id ? alias : `${alias} = ${id}`))
    .join(', ');
  return tenant.models ? list : `${list} (default)`;
}

/** The tenants file's summary for `omnicloud config check`. */
export function summarizeTenants(config: TenantsConfig): string[] {
  return [
    `Tenants file OK: ${config.source ?? '(environment)'}`,
    `  tenants (${config.tenants.size}):`,
    ...[...config.tenants.values()].flatMap(summarizeTenant),
  ];
}

function usd(limit: { dayUsd?: number | undefined; monthUsd?: number | undefined }): string {
  const parts = [
    limit.dayUsd !== undefined ? `$${limit.dayUsd}/day` : undefined,
    limit.monthUsd !== undefined ? `$${limit.monthUsd}/month` : undefined,
  ].filter(Boolean);
  return parts.join(', ') || 'none';
}
