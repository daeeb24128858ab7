import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { parseTenantId, type TenantId } from '../../core/ids.js';
import {
  SCHEDULE_FIELDS,
  SCHEDULE_SPEC_SCHEMA,
  parseScheduleName,
  writtenSpec,
  type ScheduleName,
  type SchedulePatch,
  type ScheduleService,
} from '../../schedules/index.js';
import { assertTenantAllowed } from '../auth.js';
import type { ApiEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { readJson, validate } from '../validation.js';
import { scheduleJson } from './schedule-json.js';

/**
 * `PATCH` body: any field of the written spec but `name` (each checked like `POST`'s), plus
 * `paused`; `null` clears model/agent.
 */
export const PATCH_BODY = SCHEDULE_FIELDS.omit({ name: true })
  .partial()
  .extend({
    model: SCHEDULE_FIELDS.shape.model.unwrap().nullable().optional(),
    agent: SCHEDULE_FIELDS.shape.agent.unwrap().nullable().optional(),
    paused: z.boolean({ error: 'must be true or false' }).optional(),
  });

function tenantOf(c: Context<ApiEnv>): TenantId {
  const tenant = parseTenantId(c.req.param('tenant'));
  assertTenantAllowed(c.get('principal'), tenant);
  return tenant;
}

function nameOf(c: Context<ApiEnv>): ScheduleName {
  try {
    return parseScheduleName(c.req.param('name'));
  } catch (err) {
    const message = (err as Error).message;
    throw new ApiError(400, 'invalid_id', `invalid schedule name: ${message}`, [{ path: 'name', message }]);
  }
}

/** `If-Match: 3` or `"3"` (the `ETag` the API sends): the version the change expects. */
function ifMatch(c: Context<ApiEnv>): number | undefined {
  const header = c.req.header('if-match');
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?([0-9]{1,15})"?\s*$/.exec(header);
  if (match?.[1] && Number(match[1]) >= 1) return Number(match[1]);
  const message = 'must be a schedule version (a positive integer), as the ETag header gives it';
  throw new ApiError(400, 'invalid_request', 'invalid header: If-Match', [{ path: 'If-Match', message }]);
}

const etag = (version: number): string => `"${version}"`;

/**
 * `/v1/schedules/:tenant[/:name]`: a tenant's schedules (issue 16). Bodies are the written schema
 * of `schedules.yaml` (`SCHEDULE_SPEC_SCHEMA`); answers add the stored state (`scheduleJson`). The
 * tenant must be in the caller's scope (403) before anything is read. The rules (an existing
 * name, an unknown agent, config schedules only paused or resumed) are the `ScheduleService`'s.
 */
export function scheduleRoutes(deps: { schedules: ScheduleService; now: () => number }): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const { schedules } = deps;
  const by = (c: Context<ApiEnv>): string => c.get('principal').subject;

  app.get('/:tenant', async (c) => {
    const tenant = tenantOf(c);
    const now = deps.now();
    const records = await schedules.list(tenant);
    return c.json({ schedules: records.map((r) => scheduleJson(r, now)) });
  });

  app.get('/:tenant/:name', async (c) => {
    const tenant = tenantOf(c);
    const record = await schedules.get(tenant, nameOf(c));
    c.header('etag', etag(record.version));
    return c.json(scheduleJson(record, deps.now()));
  });

  app.post('/:tenant', async (c) => {
    const tenant = tenantOf(c);
    const spec = validate(SCHEDULE_SPEC_SCHEMA, await readJson(c));
    const record = await schedules.create(tenant, spec, by(c));
    c.header('etag', etag(record.version));
    c.header('location', `/v1/schedules/${tenant}/${record.name}`);
    return c.json(scheduleJson(record, deps.now()), 201);
  });

  app.patch('/:tenant/:name', async (c) => {
    const tenant = tenantOf(c);
    const name = nameOf(c);
    const expected = ifMatch(c);
    const body = validate(PATCH_BODY, await readJson(c));
    const patch = await patchOf(schedules, tenant, name, body);
    const record = await schedules.update(tenant, name, patch, by(c), expected);
    c.header('etag', etag(record.version));
    return c.json(scheduleJson(record, deps.now()));
  });

  app.delete('/:tenant/:name', async (c) => {
    const tenant = tenantOf(c);
    await schedules.remove(tenant, nameOf(c));
    return c.body(null, 204);
  });

  return app;
}

/**
 * The body's fields over the stored schedule, checked by the one schema (so a wrong field is named
 * like `POST`'s), then only what the body set as the service's patch. Setting `cron` drops `every`
 * and the other way round.
 */
async function patchOf(
  schedules: ScheduleService,
  tenant: TenantId,
  name: ScheduleName,
  body: z.infer<typeof PATCH_BODY>,
): Promise<SchedulePatch> {
  const { paused, ...fields } = body;
  const set = Object.keys(fields).filter((k) => fields[k as keyof typeof fields] !== undefined);
  const patch: SchedulePatch = paused !== undefined ? { paused } : {};
  if (set.length === 0) return patch;
  const current = writtenSpec(await schedules.get(tenant, name)) as Record<string, unknown>;
  if (set.includes('cron')) delete current.every;
  if (set.includes('every')) delete current.cron;
  const merged: Record<string, unknown> = { ...current };
  for (const key of set) {
    const value = fields[key as keyof typeof fields];
    if (value === null && (key === 'model' || key === 'agent')) delete merged[key];
    else merged[key] = value;
  }
  const spec = validate(SCHEDULE_SPEC_SCHEMA, merged);
  if (set.includes('cron') || set.includes('every')) patch.timing = spec.timing;
  if (set.includes('timezone')) patch.timezone = spec.timezone;
  if (set.includes('prompt')) patch.prompt = spec.prompt;
  if (set.includes('target')) patch.target = spec.target;
  if (set.includes('model')) patch.model = spec.model ?? null;
  if (set.includes('agent')) patch.agent = spec.agent ?? null;
  if (set.includes('enabled')) patch.enabled = spec.enabled;
  return patch;
}
