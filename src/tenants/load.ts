import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { ZodIssue } from 'zod';
import { ConfigError, errorMessage, type ConfigIssue } from '../core/errors.js';
import { isTenantId, parseTenantId, type TenantId } from '../core/ids.js';
import { secretRefKey } from './secret-ref.js';
import { filePolicy } from '../files/types.js';
import { TENANTS_FILE_SCHEMA } from './schema.js';
import type { SecretRef, TenantConfig, TenantsConfig } from './types.js';

/** `tenants.acme.api.tokens[0]` */
function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, '');
}

function zodIssues(file: string, issues: readonly ZodIssue[]): ConfigIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        file,
        field: fieldOf([...issue.path, key]),
        message: 'unknown field',
      }));
    }
    const message = issue.message.replace(
      /^Invalid input: expected (\w+), received undefined$/,
      'is required',
    );
    return [{ file, field: fieldOf(issue.path), message }];
  });
}

/**
 * Parse the text of a tenants file. `file` names it in messages and anchors relative `configDir`
 * paths. Every problem is collected and thrown at once as a `ConfigError` (file + field each).
 */
export function parseTenantsFile(text: string, file: string): TenantsConfig {
  const source = resolve(file);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // First line only: the rest of a YAML error repeats source lines, which could hold a secret.
    throw new ConfigError(
      doc.errors.map((e) => ({
        file: source,
        field: '',
        message: `not valid YAML: ${(e.message.split('\n')[0] ?? '').replace(/:$/, '')}`,
      })),
    );
  }
  const content: unknown = doc.toJS();
  if (content === null || content === undefined) {
    throw new ConfigError([
      { file: source, field: '', message: 'the file is empty: expected `version: 1` and `tenants:`' },
    ]);
  }
  const parsed = TENANTS_FILE_SCHEMA.safeParse(content);
  const issues: ConfigIssue[] = parsed.success ? [] : zodIssues(source, parsed.error.issues);
  // Ids and folders are checked even when other fields failed, so one pass lists every problem.
  const base = dirname(source);
  const entries = rawTenants(content);
  for (const [id, entry] of entries) {
    const field = `tenants.${id}`;
    if (!isTenantId(id)) issues.push({ file: source, field, message: tenantIdProblem(id) });
    const dir = (entry as { configDir?: unknown } | null)?.configDir;
    if (typeof dir === 'string' && dir.length > 0 && !isDirectory(resolve(base, dir))) {
      issues.push({
        file: source,
        field: `${field}.configDir`,
        message: `folder ${resolve(base, dir)} does not exist`,
      });
    }
  }
  if (parsed.success && entries.length === 0) {
    issues.push({ file: source, field: 'tenants', message: 'must list at least one tenant' });
  }
  if (!parsed.success || issues.length > 0) throw new ConfigError(issues);

  const tenants = new Map<TenantId, TenantConfig>();
  for (const [key, entry] of Object.entries(parsed.data.tenants)) {
    const id = parseTenantId(key);
    const tenant: TenantConfig = {
      id,
      configDir: resolve(base, entry.configDir),
      apiTokens: entry.api?.tokens ?? [],
    };
    if (entry.telegram) tenant.telegram = entry.telegram;
    if (entry.events) tenant.eventTokens = entry.events.tokens;
    if (entry.model !== undefined) tenant.model = entry.model;
    if (entry.models !== undefined) tenant.models = entry.models;
    if (entry.provider !== undefined) tenant.provider = entry.provider;
    if (entry.budgets !== undefined) tenant.budgets = entry.budgets;
    if (entry.files !== undefined) tenant.files = filePolicy(entry.files);
    tenants.set(id, tenant);
  }
  const config: TenantsConfig = { source, tenants, adminApiTokens: parsed.data.admin?.apiTokens ?? [] };
  const shared = sharedReferences(config);
  if (shared.length > 0) throw new ConfigError(shared);
  return config;
}

/** Read and parse a tenants file (see `parseTenantsFile`). */
export function loadTenantsFile(file: string): TenantsConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ConfigError([
      {
        file: resolve(file),
        field: '',
        message: code === 'ENOENT' ? 'file not found' : `cannot read: ${errorMessage(err)}`,
      },
    ]);
  }
  return parseTenantsFile(text, file);
}

function rawTenants(content: unknown): Array<[string, unknown]> {
  const tenants = (content as { tenants?: unknown } | null)?.tenants;
  return typeof tenants === 'object' && tenants !== null && !Array.isArray(tenants)
    ? Object.entries(tenants)
    : [];
}

function tenantIdProblem(id: string): string {
  try {
    parseTenantId(id);
    return 'invalid tenant id';
  } catch (err) {
    return errorMessage(err);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A bot token or API token reference used by two tenants (or by a tenant and the admins) would let
 * one tenant's bot or token reach another tenant: refused. (Values are compared after resolution.)
 */
export function sharedReferences(config: TenantsConfig): ConfigIssue[] {
  const file = config.source ?? 'environment';
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, string>();
  const claim = (ref: SecretRef, field: string, owner: string) => {
    const key = secretRefKey(ref);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, owner);
    } else if (first !== owner) {
      issues.push({ file, field, message: `same secret reference as ${first}: each tenant needs its own` });
    }
  };
  config.adminApiTokens.forEach((ref, i) => claim(ref, `admin.apiTokens[${i}]`, 'the admin tokens'));
  for (const t of config.tenants.values()) {
    const owner = `tenant ${t.id}`;
    if (t.telegram) {
      claim(t.telegram.botToken, `tenants.${t.id}.telegram.botToken`, owner);
      if (t.telegram.webhookSecret) {
        claim(t.telegram.webhookSecret, `tenants.${t.id}.telegram.webhookSecret`, owner);
      }
    }
    t.apiTokens.forEach((ref, i) => claim(ref, `tenants.${t.id}.api.tokens[${i}]`, owner));
    t.eventTokens?.forEach((ref, i) => claim(ref, `tenants.${t.id}.events.tokens[${i}]`, owner));
  }
  return issues;
}
