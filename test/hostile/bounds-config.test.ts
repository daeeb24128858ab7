import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnChoice } from '../../src/agent/choice.js';
import {
  parseTelegramRoutes,
  ROUTES_SCHEMA,
  telegramRoutesSpec,
} from '../../src/app/lambda/telegram-routes.js';
import { ConfigError } from '../../src/core/errors.js';
import { MAX_SEND_BYTES } from '../../src/files/types.js';
import { parseSettingValue } from '../../src/sessions/settings.js';
import {
  accessPolicyOf,
  commandsFileSchema,
  isAllowed,
  mayApprove,
  parseCommandsConfig,
} from '../../src/telegram/config.js';
import {
  modelAliases,
  parseTenantsFile,
  summarizeTenants,
  type TenantsConfig,
} from '../../src/tenants/index.js';
import { TENANTS_FILE_SCHEMA } from '../../src/tenants/schema.js';
import { openSqliteUsageStore, type SqliteUsageStore } from '../../src/usage/index.js';
import { checkConfigBoundary, dotted } from './bounds-harness.js';
import { SEED, watchCrashes } from './figures.js';
import { boundIssues, type SchemaCase } from './schema-cases.js';

/**
 * Bounds of the configuration files (issue 18): the tenants file, the webhook routes derived from
 * it (OMNICLOUD_TELEGRAM_TENANTS) and the Telegram commands file. The audit fails when a field
 * without an upper bound is added; the properties feed schema-derived cases through the real
 * loader and what consumes its result: the budget checker on a real SQLite usage store, the model
 * choice, the approvals policy, the file policy, the webhook routes spec.
 */

let base: string;
let usage: SqliteUsageStore;
const crashWatch = watchCrashes();

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'omni-bounds-config-'));
  await mkdir(join(base, 'acme'));
  usage = await openSqliteUsageStore({ file: join(base, 'usage.sqlite') });
});
afterAll(async () => {
  crashWatch.stop();
  await usage.close();
  await rm(base, { recursive: true, force: true });
});

/** Checks the JSON Schema cannot express (the loader's own, each with a clear message). */
const TENANTS_REFINEMENTS =
  /looks like an inline secret|same secret reference|must name each kind once|are reserved|must list at least one tenant|must name 1–/;

/** Every tenant's `configDir` → a folder that exists (the loader checks it), unless that is the broken field. */
function withRealFolders(c: SchemaCase): SchemaCase {
  const tenants = (c.value as { tenants?: unknown } | null)?.tenants;
  if (typeof tenants !== 'object' || tenants === null || Array.isArray(tenants)) return c;
  for (const [id, t] of Object.entries(tenants)) {
    if (typeof t !== 'object' || t === null || Array.isArray(t)) continue;
    const entry = t as Record<string, unknown>;
    if (c.kind === 'invalid' && c.path.startsWith(`tenants.${id}.configDir`)) continue;
    if (typeof entry['configDir'] === 'string') entry['configDir'] = './acme';
  }
  return c;
}

/** Everything the tenants file feeds: throws when a loaded value is not usable. */
async function useTenants(config: TenantsConfig): Promise<string[]> {
  const tags = new Set<string>();
  for (const t of config.tenants.values()) {
    // Budgets → the budget checker (real SQLite usage store) and its refusal text.
    const decision = await usage.checkBudget({ tenant: t.id, userId: 42, estimateUsd: 0.05 }, t.budgets);
    if (!decision.allowed && decision.reason.length === 0) throw new Error('a refusal without a reason');
    if (t.budgets) tags.add(decision.allowed ? 'budget:allowed' : 'budget:refused');
    // Model choice: every alias can be stored as a conversation setting and resolves to its id.
    const models = modelAliases(t);
    if (t.model !== undefined) parseSettingValue('model', t.model);
    for (const [alias, id] of Object.entries(models)) {
      parseSettingValue('model', alias);
      const choice = turnChoice({
        request: {},
        settings: { model: alias },
        policy: { models, ...(t.model !== undefined ? { model: t.model } : {}) },
        agents: {},
      });
      if (choice.model !== id) throw new Error(`alias ${alias} chose ${String(choice.model)}`);
    }
    // Approvals policy: each listed user may talk / decide.
    if (t.telegram) {
      const policy = accessPolicyOf(t.telegram);
      // The first and last few of each list (the check is a linear scan per update).
      const ends = (list: readonly number[] = []) => [...list.slice(0, 3), ...list.slice(-3)];
      for (const u of ends(t.telegram.allowedUsers))
        if (!isAllowed(policy, u)) throw new Error(`user ${u} not allowed`);
      for (const u of ends(t.telegram.approvers))
        if (!mayApprove(policy, u)) throw new Error(`approver ${u} may not approve`);
    }
    // File policy: a whole, positive number of bytes the Bot API can carry.
    if (t.files) {
      const { maxBytes } = t.files;
      if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_SEND_BYTES)
        throw new Error(`file cap ${maxBytes} bytes`);
      tags.add('files');
    }
  }
  // The webhook Lambda's routes (tenants with a webhook secret): what the tenants file accepts,
  // the ingress must accept too.
  const spec = telegramRoutesSpec(config);
  if (spec !== '{}') {
    parseTelegramRoutes(spec);
    tags.add('routes');
  }
  summarizeTenants(config);
  return [...tags];
}

describe('bounds: configuration files', () => {
  it('audit: every field of the tenants file, the webhook routes and the commands file is bounded', () => {
    expect(boundIssues(TENANTS_FILE_SCHEMA)).toEqual([]);
    expect(boundIssues(ROUTES_SCHEMA)).toEqual([]);
    expect(boundIssues(commandsFileSchema)).toEqual([]);
  });

  it('tenants file: schema cases through parseTenantsFile, the budget checker, model choice, approvals, routes', async () => {
    const file = join(base, 'tenants.yaml');
    const figures = await checkConfigBoundary({
      suite: 'bounds: tenants file (parseTenantsFile → budgets, models, approvals, files, routes)',
      schema: TENANTS_FILE_SCHEMA,
      seed: SEED + 20,
      prepare: withRealFolders,
      // JSON is YAML: the text the loader reads.
      load: (value) => parseTenantsFile(JSON.stringify(value, null, 1), file),
      use: useTenants,
      refinements: TENANTS_REFINEMENTS,
      options: { typicalItems: 2, typicalLength: 20 },
    });
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['valid → accepted and used']).toBeGreaterThan(200);
    expect(crashWatch.crashes).toEqual([]);
  });

  it('tenants file at every maximum: 100 tenants, 1000 users, 10 tokens, 20 models, largest budgets and file caps', async () => {
    const tenants: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) {
      const id = `t${String(i).padStart(2, '0')}-${'x'.repeat(28)}`;
      tenants[id] = {
        configDir: './acme',
        telegram: {
          botToken: { ssm: `/omni/${id}/bot${'/p'.repeat(900)}` },
          webhookSecret: { env: `HOOK_${i}_${'A'.repeat(100)}` },
          allowedUsers: Array.from({ length: 1000 }, (_, u) => Number.MAX_SAFE_INTEGER - u),
          approvers: Array.from({ length: 1000 }, (_, u) => String(1e14 + u)),
        },
        api: { tokens: Array.from({ length: 10 }, (_, k) => ({ env: `API_${i}_${k}` })) },
        events: { tokens: Array.from({ length: 10 }, (_, k) => ({ secretsManager: `ev/${i}/${k}` })) },
        model: 'm'.repeat(200),
        models: Object.fromEntries(
          Array.from({ length: 20 }, (_, k) => [`a${k}${'z'.repeat(29)}`, 'i'.repeat(200)]),
        ),
        budgets: {
          tenant: { dayUsd: 1_000_000, monthUsd: 1_000_000 },
          user: { dayUsd: 0, monthUsd: 1_000_000 },
        },
        files: { maxMb: i % 2 === 0 ? 50 : 1 / 1024, allow: ['image', 'pdf', 'text', 'other'] },
      };
    }
    const config = parseTenantsFile(JSON.stringify({ version: 1, tenants }), join(base, 'max.yaml'));
    expect(config.tenants.size).toBe(100);
    expect(await useTenants(config)).toContain('routes');
  });

  it('regression: files.maxMb below 1 KB is refused (it rounded to a cap of 0 bytes the webhook routes refuse)', () => {
    const text = (maxMb: number) =>
      `version: 1\ntenants:\n  acme:\n    configDir: ./acme\n    telegram: { botToken: { env: BOT }, webhookSecret: { env: HOOK } }\n    files: { maxMb: ${maxMb} }\n`;
    const refused = (() => {
      try {
        parseTenantsFile(text(1e-9), join(base, 'tiny.yaml'));
        return undefined;
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).issues.map((i) => i.field)).toEqual(['tenants.acme.files.maxMb']);
    const smallest = parseTenantsFile(text(1 / 1024), join(base, 'kb.yaml'));
    expect(smallest.tenants.get('acme' as never)?.files?.maxBytes).toBe(1024);
    expect(parseTelegramRoutes(telegramRoutesSpec(smallest)).tenants.size).toBe(1);
  });

  it('webhook routes (OMNICLOUD_TELEGRAM_TENANTS): schema cases through parseTelegramRoutes and the access policy', async () => {
    const figures = await checkConfigBoundary({
      suite: 'bounds: webhook routes (parseTelegramRoutes → access policy, file cap)',
      schema: ROUTES_SCHEMA,
      seed: SEED + 21,
      load: (value) => parseTelegramRoutes(JSON.stringify(value)),
      use: (config) => {
        for (const t of config.tenants.values()) {
          const policy = accessPolicyOf(t.telegram ?? {});
          for (const u of t.telegram?.allowedUsers ?? [])
            if (!isAllowed(policy, u)) throw new Error('not allowed');
          const cap = t.files?.maxBytes;
          if (cap !== undefined && (!Number.isSafeInteger(cap) || cap < 1 || cap > MAX_SEND_BYTES))
            throw new Error(`cap ${cap}`);
        }
      },
      refinements: /looks like an inline secret|same secret reference|must list at least one tenant/,
      fieldPath: (field) => dotted(field).replace(/^OMNICLOUD_TELEGRAM_TENANTS\.?/, ''),
    });
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['valid → accepted and used']).toBeGreaterThan(200);
  });

  it('commands file: schema cases through parseCommandsConfig', async () => {
    const figures = await checkConfigBoundary({
      suite: 'bounds: Telegram commands file (parseCommandsConfig)',
      schema: commandsFileSchema,
      seed: SEED + 22,
      load: (value) => parseCommandsConfig(value),
      use: (commands, value) => {
        for (const [name, c] of Object.entries(commands)) {
          if (
            c.type === 'agent' &&
            c.prompt !== undefined &&
            c.prompt.replace('{args}', 'x'.repeat(4096)).length > 64_000
          )
            throw new Error(`/${name} expands past the queue's limit`);
        }
        void value;
      },
      refinements: /is built in|use \{args\} at most once/,
    });
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['valid → accepted and used']).toBeGreaterThan(200);
  });
});
