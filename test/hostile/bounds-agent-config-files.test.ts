import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { EVENTS_SCHEMA } from '../../src/config/agent-config/events.js';
import { defaultToolPolicy, loadAgentConfig } from '../../src/config/agent-config/index.js';
import { SCHEDULES_FILE_SCHEMA } from '../../src/config/agent-config/schedules.js';
import { SKILL_FRONTMATTER_SCHEMA } from '../../src/config/agent-config/skills.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseTenantId } from '../../src/core/ids.js';
import { alertWorkOf } from '../../src/events/work.js';
import { findRoute } from '../../src/events/match.js';
import type { InboundEvent } from '../../src/events/types.js';
import { decodeQueuedMessage, encodeQueuedMessage } from '../../src/queue/message.js';
import { SCHEDULE_SPEC_SCHEMA } from '../../src/schedules/spec.js';
import { eventBridgeExpression, nextDue } from '../../src/schedules/timing.js';
import { MAX_SCHEDULES_PER_TENANT } from '../../src/schedules/types.js';
import { checkConfigBoundary, dotted } from './bounds-harness.js';
import { SEED, watchCrashes } from './figures.js';
import type { SchemaCase } from './schema-cases.js';

/**
 * The agent-config files without a property test yet (issue 18): events.yaml, schedules.yaml and
 * a skill's SKILL.md frontmatter. Schema-derived values are written as YAML into a fresh folder
 * and loaded by the real `loadAgentConfig`; an accepted file is then used as production uses it
 * (event routes → match, rendered prompt, alert work item through the wire format; schedules →
 * next run, EventBridge expression; skills → the tool policy). A refused file is a ConfigError
 * naming the file and the broken field. Their audits are in bounds-agent-config.test.ts.
 */

const crashWatch = watchCrashes();
let base: string;
let caseNo = 0;
const TENANT = parseTenantId('acme');
const NOW = Date.UTC(2026, 11, 2, 11, 0, 0);

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'omni-bounds-agent-files-'));
});
afterAll(async () => {
  crashWatch.stop();
  await rm(base, { recursive: true, force: true });
  expect(crashWatch.crashes).toEqual([]);
});

/** Writes `files` (relative paths) into a fresh folder and loads it. */
async function loadFolder(files: Record<string, string>) {
  const dir = join(base, `case-${caseNo++}`);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  try {
    return await loadAgentConfig(dir, { env: {} });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An event carrying every template field, long values included. */
function eventFor(alarm: string): InboundEvent {
  return {
    source: 'generic',
    dedupeParts: ['x'],
    title: 'Disk full on web-1',
    state: 'firing',
    severity: 'critical',
    occurredAt: NOW,
    essentials: ['a'],
    fields: { alarm, reason: 'r'.repeat(2000), state: 'firing' },
    alarm,
    labels: {},
    raw: '{}',
  };
}

/**
 * Generated files hold at most this many routes / schedules, so 1000 cases take seconds; the
 * count bounds themselves (100 each) are tried once each below, at and one past the bound.
 */
const GENERATED_ITEMS = 4;
const ROUTE = EVENTS_SCHEMA.shape.routes.unwrap().element;
/** events.yaml's route limit (`EVENTS_SCHEMA`; the test below shows 101 is refused). */
const MAX_ROUTES = 100;

describe('bounds: agent-config files through loadAgentConfig', () => {
  it('the count bounds: 100 routes and 100 schedules load and are used; 101 are refused naming the list', async () => {
    const route = (i: number) => ({ name: `r${i}`, prompt: 'Look.', target: { chat: -1 } });
    const schedule = (i: number) => ({ name: `s${i}`, every: '5m', prompt: 'Check.', target: { chat: -1 } });
    const events = (n: number) =>
      stringify({ version: 1, routes: Array.from({ length: n }, (_, i) => route(i)) });
    const schedules = (n: number) =>
      stringify({ version: 1, schedules: Array.from({ length: n }, (_, i) => schedule(i)) });
    const ok = await loadFolder({
      'events.yaml': events(MAX_ROUTES),
      'schedules.yaml': schedules(MAX_SCHEDULES_PER_TENANT),
    });
    expect(ok.events).toHaveLength(MAX_ROUTES);
    expect(ok.schedules).toHaveLength(MAX_SCHEDULES_PER_TENANT);
    for (const spec of ok.schedules) expect(nextDue(spec.timing, spec.timezone, NOW)).toBeGreaterThan(NOW);
    for (const r of ok.events)
      decodeQueuedMessage(encodeQueuedMessage(alertWorkOf(TENANT, r, eventFor('x'), '0'.repeat(32))));
    const refused = await loadFolder({
      'events.yaml': events(MAX_ROUTES + 1),
      'schedules.yaml': schedules(MAX_SCHEDULES_PER_TENANT + 1),
    }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).issues.map((i) => `${i.file} ${i.field}`).sort()).toEqual([
      'events.yaml routes',
      'schedules.yaml schedules',
    ]);
  });

  it('events.yaml: schema cases through the loader, the matcher and the alert work item', async () => {
    const figures = await checkConfigBoundary({
      suite: 'bounds: events.yaml (loadAgentConfig → match → prompt → alert item on the wire)',
      schema: EVENTS_SCHEMA.extend({ routes: z.array(ROUTE).max(GENERATED_ITEMS).optional() }),
      prepare: (c) => realCountBound(c, 'routes'),
      seed: SEED + 50,
      load: (value) => loadFolder({ 'events.yaml': stringify(value) }),
      use: (config) => {
        for (const route of config.events) {
          const item = alertWorkOf(TENANT, route, eventFor('disk'), '0'.repeat(32));
          const decoded = decodeQueuedMessage(encodeQueuedMessage(item));
          if (decoded.kind !== 'alert') throw new Error('not an alert item');
          findRoute(config.events, eventFor(route.match.alarm ?? 'x'));
        }
        return [`routes:${Math.min(config.events.length, 3)}`];
      },
      fieldPath: (field) => dotted(field),
      // Checks beyond the JSON Schema: prompt placeholders, chat 0, unique route names.
      refinements: /unknown placeholder|must be a Telegram chat id|duplicate route name/,
      options: { typicalItems: 2, typicalLength: 20, longest: 9000 },
    });
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['valid → accepted and used']).toBeGreaterThan(200);
  });

  it('schedules.yaml: schema cases through the loader, the next run and the EventBridge expression', async () => {
    const figures = await checkConfigBoundary({
      suite: 'bounds: schedules.yaml (loadAgentConfig → next run → EventBridge expression)',
      schema: SCHEDULES_FILE_SCHEMA.extend({
        schedules: z.array(SCHEDULE_SPEC_SCHEMA).max(GENERATED_ITEMS),
      }),
      seed: SEED + 51,
      prepare: (c) => realCountBound(usableSchedules(c), 'schedules'),
      load: (value) => loadFolder({ 'schedules.yaml': stringify(value) }),
      use: (config) => {
        for (const spec of config.schedules) {
          eventBridgeExpression(spec.timing);
          const next = nextDue(spec.timing, spec.timezone, NOW);
          if (next !== null && !(next > NOW)) throw new Error(`next run ${next} not after now`);
          if (next !== null) new Date(next).toISOString();
        }
        return [`schedules:${Math.min(config.schedules.length, 3)}`];
      },
      fieldPath: (field) => dotted(field),
      refinements: SCHEDULE_REFINEMENTS,
      options: { typicalItems: 2, typicalLength: 20, longest: 9000 },
    });
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['valid → accepted and used']).toBeGreaterThan(100);
  });

  it('SKILL.md frontmatter: schema cases through the loader and the tool policy', async () => {
    const figures = await checkConfigBoundary({
      suite: 'bounds: SKILL.md frontmatter (loadAgentConfig → tool policy)',
      schema: SKILL_FRONTMATTER_SCHEMA,
      seed: SEED + 52,
      prepare: namedLikeItsFolder,
      load: (value) => {
        const folder = skillFolder(value);
        return loadFolder({
          [`skills/${folder}/SKILL.md`]: `---\n${stringify(value)}---\nRun the check.\n`,
        });
      },
      use: (config) => {
        const policy = defaultToolPolicy(config, { cwd: '/tmp/run' });
        if (!Array.isArray(policy.allowedTools)) throw new Error('no tool policy');
        if (config.skills.length !== 1) throw new Error(`${config.skills.length} skills loaded`);
        return [];
      },
      // The loader reports `skills/<folder>/SKILL.md` + `name`.
      fieldPath: (field) => dotted(field),
      refinements: /must be a non-empty string/,
      options: { typicalItems: 2, typicalLength: 20 },
    });
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['valid → accepted and used']).toBeGreaterThan(200);
  });
});

/**
 * Checks of a schedule spec beyond its JSON Schema: the cron grammar, the rate grammar, exactly one
 * of them, a known time zone, a non-zero chat, names unique in the file.
 */
const SCHEDULE_REFINEMENTS =
  /exactly one of cron and every|must be like 30m|cron|time zone|timezone|must be a Telegram chat id|already the name|must not be empty/i;

const TIMINGS = [{ cron: '0 9 * * *' }, { cron: '59 23 31 12 *' }, { every: '5m' }, { every: '366d' }];
const ZONES = ['UTC', 'Etc/GMT+12', 'Pacific/Kiritimati', 'Asia/Kathmandu'];

/**
 * Most generated crons, rates and zones miss their grammar (bounds-schedules.test.ts covers that
 * through the parser); here the file's bounds count. Every entry (but the field a case breaks) gets
 * a valid timing and zone, a non-zero chat, a unique name, no agent (there is no agents.json).
 */
function usableSchedules(c: SchemaCase): SchemaCase {
  const file = c.value as { schedules?: unknown } | null;
  if (typeof file !== 'object' || file === null || !Array.isArray(file.schedules)) return c;
  const broken = c.kind === 'invalid' ? c.path.split('.') : [];
  file.schedules.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return;
    const s = entry as Record<string, unknown>;
    const mine = (field: string) =>
      broken[0] === 'schedules' && broken[1] === String(i) && broken[2] === field;
    if (!mine('cron') && !mine('every')) {
      delete s['cron'];
      delete s['every'];
      Object.assign(s, TIMINGS[i % TIMINGS.length]);
    }
    if (!mine('timezone') && 'timezone' in s) s['timezone'] = ZONES[i % ZONES.length];
    if (!mine('name') && typeof s['name'] === 'string') s['name'] = `${s['name'].slice(0, 35)}-${i}`;
    if (!mine('agent')) delete s['agent'];
    const target = s['target'] as Record<string, unknown> | undefined;
    if (!mine('target') && typeof target === 'object' && target !== null && target['chat'] === 0)
      target['chat'] = -1;
  });
  return c;
}

/** A list one past the generated count is within the real bound: tried at the real bound above instead. */
function realCountBound(c: SchemaCase, list: string): SchemaCase | undefined {
  return c.kind === 'invalid' && c.path === list && c.broke.startsWith('maxItems') ? undefined : c;
}

/** A skill's `name` must equal its folder's name (a NAME_RE name); valid cases get one. */
function namedLikeItsFolder(c: SchemaCase): SchemaCase {
  if (typeof c.value !== 'object' || c.value === null) return c;
  const fm = c.value as Record<string, unknown>;
  if (!(c.kind === 'invalid' && c.path.startsWith('name'))) fm['name'] = `skill-${caseNo}`;
  return c;
}

function skillFolder(value: unknown): string {
  const name = (value as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[a-z0-9-]{1,64}$/.test(name) ? name : 'bad-name';
}
