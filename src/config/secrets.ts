import { ConfigError, errorMessage, type ConfigIssue } from '../core/errors.js';
import { ENV_SCHEMA } from './env.js';

/**
 * Secrets at cold start. In AWS the environment holds only the NAMES of SSM Parameter Store
 * SecureString parameters (`TELEGRAM_BOT_TOKEN_PARAM=/omnicloud/prod/telegram-bot-token`); this
 * module reads them all in one batch (`GetParameters`, `WithDecryption`) and merges the values into
 * the environment record under the variable without `_PARAM`, before `parseEnv`. A Secrets Manager
 * secret works too through its Parameter Store reference name `/aws/reference/secretsmanager/<id>`.
 *
 * The mapping comes from `ENV_SCHEMA` itself: every `X_PARAM` key whose `X` is also a key.
 */
export const SECRET_PARAM_SUFFIX = '_PARAM';

/** The SSM operation we need, as an injectable seam (a fake in tests, `createSsmParameterClient` of `aws/ssm.ts` in AWS). */
export interface SecretParameterClient {
  /** One `GetParameters` call (≤ 10 names) with decryption: values by name, plus the names not found. */
  getParameters(
    names: readonly string[],
  ): Promise<{ values: ReadonlyMap<string, string>; invalid: readonly string[] }>;
}

export interface SecretVariable {
  /** Variable that names the parameter, e.g. `TELEGRAM_BOT_TOKEN_PARAM`. */
  paramVar: string;
  /** Variable that receives the value, e.g. `TELEGRAM_BOT_TOKEN`. */
  target: string;
}

/** Every `X_PARAM` → `X` pair declared in `ENV_SCHEMA`. */
export function secretVariables(): SecretVariable[] {
  const keys = new Set(Object.keys(ENV_SCHEMA.shape));
  return [...keys]
    .filter((k) => k.endsWith(SECRET_PARAM_SUFFIX))
    .map((paramVar) => ({ paramVar, target: paramVar.slice(0, -SECRET_PARAM_SUFFIX.length) }))
    .filter((v) => keys.has(v.target));
}

export interface ResolvedSecrets {
  /** The input record with secret values merged in (the `_PARAM` variables are kept: names are not secret). */
  env: Record<string, string | undefined>;
  /** The values read, to register with the logger's redaction. */
  secrets: string[];
  /** How many `GetParameters` calls were made (0 when nothing is configured: no AWS SDK is loaded). */
  calls: number;
}

export interface ResolveSecretsDeps {
  /** Builds the client only when at least one `_PARAM` is set (so local runs never load the AWS SDK). */
  client: () => SecretParameterClient | Promise<SecretParameterClient>;
}

const GET_PARAMETERS_MAX_NAMES = 10;

/** Resolve every configured secret parameter; throws `ConfigError` naming variables and parameters (never values). */
export async function resolveSecrets(
  env: Record<string, string | undefined>,
  deps: ResolveSecretsDeps,
): Promise<ResolvedSecrets> {
  const issues: ConfigIssue[] = [];
  const wanted: Array<SecretVariable & { name: string }> = [];
  for (const v of secretVariables()) {
    const name = env[v.paramVar]?.trim();
    if (!name) continue;
    if (env[v.target]) {
      issues.push({
        file: 'environment',
        field: v.target,
        message: `set either ${v.target} or ${v.paramVar}, not both`,
      });
      continue;
    }
    wanted.push({ ...v, name });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  if (wanted.length === 0) return { env: { ...env }, secrets: [], calls: 0 };

  const names = [...new Set(wanted.map((w) => w.name))];
  const client = await deps.client();
  const values = new Map<string, string>();
  const invalid = new Set<string>();
  let calls = 0;
  for (let i = 0; i < names.length; i += GET_PARAMETERS_MAX_NAMES) {
    const batch = names.slice(i, i + GET_PARAMETERS_MAX_NAMES);
    calls++;
    let result: Awaited<ReturnType<SecretParameterClient['getParameters']>>;
    try {
      result = await client.getParameters(batch);
    } catch (err) {
      throw new ConfigError([
        { file: 'ssm', field: batch.join(', '), message: `could not read parameters: ${errorMessage(err)}` },
      ]);
    }
    for (const [name, value] of result.values) values.set(name, value);
    for (const name of result.invalid) invalid.add(name);
  }

  const out: Record<string, string | undefined> = { ...env };
  const secrets: string[] = [];
  for (const w of wanted) {
    const value = values.get(w.name);
    if (invalid.has(w.name) || value === undefined) {
      issues.push({
        file: 'ssm',
        field: w.paramVar,
        message: `parameter ${w.name} not found (or not readable)`,
      });
    } else if (value.length === 0) {
      issues.push({ file: 'ssm', field: w.paramVar, message: `parameter ${w.name} is empty` });
    } else {
      out[w.target] = value;
      secrets.push(value);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { env: out, secrets, calls };
}
