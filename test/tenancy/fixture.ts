import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Two tenants of one deployment, `alpha` and `beta`, each with its own agent-config folder (its
 * own system prompt and skill), bot, webhook secret and API token, plus an admin token. Secrets are
 * `{ env: … }` references, like a real tenants file; the values live in `env`.
 */
export interface TenancyFixture {
  dir: string;
  dataDir: string;
  tenantsFile: string;
  /** Secret values by variable name (merge into the process environment record). */
  secrets: Record<string, string>;
  close(): Promise<void>;
}

export const ALPHA_SKILL = 'alpha-ledger';
export const BETA_SKILL = 'beta-runbook';
export const ALPHA_PROMPT = 'You are the agent of tenant Alpha Corp.';
export const BETA_PROMPT = 'You are the agent of tenant Beta Ltd.';

export const TOKENS = {
  ALPHA_API_TOKEN: 'alpha-api-3f9c1e7a5b2d4c6e8a0f1b3d5c7e9a2b',
  BETA_API_TOKEN: 'beta-api-9e2d4c6a8f0b1d3e5a7c9b2e4d6f8a1c',
  ADMIN_API_TOKEN: 'admin-api-1a3c5e7b9d2f4a6c8e0b2d4f6a8c1e3d',
  ALPHA_WEBHOOK_SECRET: 'alpha-webhook-secret-7c1e9a3b5d',
  BETA_WEBHOOK_SECRET: 'beta-webhook-secret-2b8d4f6a0c',
} as const;

export interface FixtureOptions {
  /** Bot tokens by tenant (fake Bot API tokens); omit for API-only tenants. */
  botTokens?: { alpha: string; beta: string };
  /** Serve the bots by webhook (webhook secrets configured) instead of long polling. */
  webhook?: boolean;
  /** Extra YAML lines under `beta:` (e.g. budgets), indented by 4 spaces. */
  betaExtra?: string;
  /** Extra YAML lines under `alpha:`. */
  alphaExtra?: string;
}

async function configDir(dir: string, prompt: string, skill: string): Promise<void> {
  await mkdir(join(dir, 'skills', skill), { recursive: true });
  await writeFile(join(dir, 'system_prompt.md'), `${prompt}\n`);
  await writeFile(
    join(dir, 'skills', skill, 'SKILL.md'),
    `---\nname: ${skill}\ndescription: Internal procedure ${skill}; use when asked about ${skill}.\n---\n\n# ${skill}\n`,
  );
}

function tenantYaml(id: 'alpha' | 'beta', options: FixtureOptions): string {
  const up = id.toUpperCase();
  const lines = [`  ${id}:`, `    configDir: ./${id}`];
  if (options.botTokens) {
    lines.push('    telegram:', `      botToken: { env: ${up}_BOT_TOKEN }`);
    if (options.webhook) lines.push(`      webhookSecret: { env: ${up}_WEBHOOK_SECRET }`);
  }
  lines.push('    api:', `      tokens: [{ env: ${up}_API_TOKEN }]`);
  const extra = id === 'alpha' ? options.alphaExtra : options.betaExtra;
  if (extra) lines.push(extra);
  return lines.join('\n');
}

export async function createTenancyFixture(options: FixtureOptions = {}): Promise<TenancyFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'omni-tenancy-'));
  await configDir(join(dir, 'alpha'), ALPHA_PROMPT, ALPHA_SKILL);
  await configDir(join(dir, 'beta'), BETA_PROMPT, BETA_SKILL);
  const tenantsFile = join(dir, 'tenants.yaml');
  await writeFile(
    tenantsFile,
    [
      'version: 1',
      'admin:',
      '  apiTokens: [{ env: ADMIN_API_TOKEN }]',
      'tenants:',
      tenantYaml('alpha', options),
      tenantYaml('beta', options),
      '',
    ].join('\n'),
  );
  const secrets: Record<string, string> = { ...TOKENS };
  if (options.botTokens) {
    secrets['ALPHA_BOT_TOKEN'] = options.botTokens.alpha;
    secrets['BETA_BOT_TOKEN'] = options.botTokens.beta;
  }
  return {
    dir,
    dataDir: join(dir, 'data'),
    tenantsFile,
    secrets,
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Rows straight from the SQLite file (read-only connection): the raw backend, not the adapter. */
export function sqliteRows<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
