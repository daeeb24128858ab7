import type { SecretParameterClient } from '../config/secrets.js';
import { ConfigError, errorMessage, type ConfigIssue } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import { describeSecretRef, secretRefKey, secretRefKind, secretRefName } from './secret-ref.js';
import type { ResolvedTenant, ResolvedTenants, SecretRef, TenantsConfig } from './types.js';

/**
 * Reads secret values for references. Returns values keyed by `secretRefKey(ref)`; a reference it
 * cannot find is simply left out (`resolveSecrets` reports it). Throw `ConfigError` for a failure
 * that is not about one reference (no AWS access, …).
 */
export interface SecretResolver {
  resolve(refs: readonly SecretRef[]): Promise<Map<string, string>>;
}

/** Resolves `{ env: NAME }` from an environment record (e.g. `AppEnv` or `process.env` via `parseEnv`). */
export function createEnvSecretResolver(env: Readonly<Record<string, unknown>>): SecretResolver {
  return {
    async resolve(refs) {
      const out = new Map<string, string>();
      for (const ref of refs) {
        if (secretRefKind(ref) !== 'env') {
          throw new ConfigError([
            {
              file: 'secrets',
              field: secretRefKey(ref),
              message: `${describeSecretRef(ref)}: only environment variables can be read here (no AWS secret client configured)`,
            },
          ]);
        }
        const value = env[secretRefName(ref)];
        if (typeof value === 'string' && value.length > 0) out.set(secretRefKey(ref), value);
      }
      return out;
    },
  };
}

const GET_PARAMETERS_MAX_NAMES = 10;
/** Secrets Manager secrets are read through Parameter Store's reference namespace (one API, one batch). */
export const SECRETS_MANAGER_REFERENCE_PREFIX = '/aws/reference/secretsmanager/';

/**
 * `env` references from the environment record; `ssm` and `secretsManager` references through
 * SSM `GetParameters` (the same client seam as config/secrets.ts, ≤ 10 names per call, with
 * decryption; Secrets Manager via `/aws/reference/secretsmanager/<id>`). The client is created
 * only when an AWS reference is present, so local setups never load the AWS SDK.
 */
export function createSecretResolver(deps: {
  env: Readonly<Record<string, unknown>>;
  parameters?: () => SecretParameterClient | Promise<SecretParameterClient>;
}): SecretResolver {
  const fromEnv = createEnvSecretResolver(deps.env);
  return {
    async resolve(refs) {
      const envRefs = refs.filter((r) => secretRefKind(r) === 'env');
      const awsRefs = refs.filter((r) => secretRefKind(r) !== 'env');
      const out = await fromEnv.resolve(envRefs);
      if (awsRefs.length === 0) return out;
      if (!deps.parameters) {
        throw new ConfigError(
          awsRefs.map((ref) => ({
            file: 'secrets',
            field: secretRefKey(ref),
            message: `${describeSecretRef(ref)}: no AWS secret client configured`,
          })),
        );
      }
      const client = await deps.parameters();
      const nameOf = (ref: SecretRef) =>
        secretRefKind(ref) === 'ssm'
          ? secretRefName(ref)
          : `${SECRETS_MANAGER_REFERENCE_PREFIX}${secretRefName(ref)}`;
      const names = [...new Set(awsRefs.map(nameOf))];
      const values = new Map<string, string>();
      for (let i = 0; i < names.length; i += GET_PARAMETERS_MAX_NAMES) {
        const batch = names.slice(i, i + GET_PARAMETERS_MAX_NAMES);
        try {
          const result = await client.getParameters(batch);
          for (const [name, value] of result.values) values.set(name, value);
        } catch (err) {
          throw new ConfigError([
            {
              file: 'ssm',
              field: batch.join(', '),
              message: `could not read parameters: ${errorMessage(err)}`,
            },
          ]);
        }
      }
      for (const ref of awsRefs) {
        const value = values.get(nameOf(ref));
        if (value !== undefined && value.length > 0) out.set(secretRefKey(ref), value);
      }
      return out;
    },
  };
}

interface Slot {
  ref: SecretRef;
  field: string;
  owner: string;
  set(value: string): void;
}

/** Every secret reference of the config, with where its value goes in the resolved result. */
function slots(
  config: TenantsConfig,
  out: { adminApiTokens: string[]; tenants: Map<TenantId, ResolvedTenant> },
): Slot[] {
  const list: Slot[] = [];
  config.adminApiTokens.forEach((ref, i) =>
    list.push({
      ref,
      field: `admin.apiTokens[${i}]`,
      owner: 'the admin tokens',
      set: (v) => out.adminApiTokens.push(v),
    }),
  );
  for (const t of config.tenants.values()) {
    const owner = `tenant ${t.id}`;
    const secrets: ResolvedTenant['secrets'] = { apiTokens: [] };
    out.tenants.set(t.id, { ...t, secrets });
    const field = `tenants.${t.id}`;
    if (t.telegram) {
      list.push({
        ref: t.telegram.botToken,
        field: `${field}.telegram.botToken`,
        owner,
        set: (v) => (secrets.botToken = v),
      });
      const webhook = t.telegram.webhookSecret;
      if (webhook) {
        list.push({
          ref: webhook,
          field: `${field}.telegram.webhookSecret`,
          owner,
          set: (v) => (secrets.webhookSecret = v),
        });
      }
    }
    t.apiTokens.forEach((ref, i) =>
      list.push({ ref, field: `${field}.api.tokens[${i}]`, owner, set: (v) => secrets.apiTokens.push(v) }),
    );
    if (t.eventTokens?.length) {
      const events: string[] = [];
      secrets.eventTokens = events;
      t.eventTokens.forEach((ref, i) =>
        list.push({ ref, field: `${field}.events.tokens[${i}]`, owner, set: (v) => events.push(v) }),
      );
    }
  }
  return list;
}

/**
 * Read every secret of every tenant in one resolver call. Throws one `ConfigError` listing each
 * missing or empty secret (by field and reference, never by value) and any secret value shared by
 * two tenants (a bot or token must belong to exactly one tenant).
 */
export async function resolveSecrets(
  config: TenantsConfig,
  resolver: SecretResolver,
): Promise<ResolvedTenants> {
  const file = config.source ?? 'environment';
  const out = { adminApiTokens: [] as string[], tenants: new Map<TenantId, ResolvedTenant>() };
  const wanted = slots(config, out);
  const unique = [...new Map(wanted.map((w) => [secretRefKey(w.ref), w.ref])).values()];
  const values = unique.length === 0 ? new Map<string, string>() : await resolver.resolve(unique);

  const issues: ConfigIssue[] = [];
  const owners = new Map<string, string>();
  for (const slot of wanted) {
    const value = values.get(secretRefKey(slot.ref));
    if (value === undefined || value.length === 0) {
      issues.push({
        file,
        field: slot.field,
        message: `${describeSecretRef(slot.ref)} is not set, empty or not readable`,
      });
      continue;
    }
    const first = owners.get(value);
    if (first === undefined) owners.set(value, slot.owner);
    else if (first !== slot.owner) {
      issues.push({
        file,
        field: slot.field,
        message: `has the same value as a secret of ${first}: each tenant needs its own`,
      });
    }
    slot.set(value);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { source: config.source, ...out, secretValues: [...owners.keys()] };
}
