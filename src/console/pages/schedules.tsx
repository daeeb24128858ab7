import { Hono } from 'hono';
import {
  isActive,
  nextDue,
  parseScheduleName,
  writtenSpec,
  type ScheduleRecord,
  type ScheduleService,
} from '../../schedules/index.js';
import { CsrfField, Page, tenantPath } from '../layout.js';
import { inertText } from '../render/untrusted.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';
import { utcTime } from './format.js';

function timingText(r: ScheduleRecord): string {
  const spec = writtenSpec(r);
  return spec.cron !== undefined ? `cron ${spec.cron} (${r.timezone})` : `every ${spec.every ?? '?'}`;
}

function stateText(r: ScheduleRecord): string {
  if (r.paused) return 'Paused';
  if (!r.enabled) return 'Disabled (schedules.yaml)';
  return 'Active';
}

function Row(props: { record: ScheduleRecord; now: number; csrfToken: string; tenantBase: string }) {
  const r = props.record;
  const next = isActive(r) ? nextDue(r.timing, r.timezone, props.now) : undefined;
  const target = `${r.target.chat}${r.target.thread === undefined ? '' : ` / ${String(r.target.thread)}`}`;
  const action = r.paused ? 'Resume' : 'Pause';
  return (
    <tr data-schedule={r.name} data-paused={String(r.paused)}>
      <th scope="row" data-label="Name">
        {r.name}
      </th>
      <td data-label="When">
        <code>{timingText(r)}</code>
      </td>
      <td data-label="Prompt" class="summary">
        {inertText(r.prompt.length > 140 ? `${r.prompt.slice(0, 140)}…` : r.prompt)}
      </td>
      <td data-label="Target">{target}</td>
      <td data-label="State" class={r.paused ? 'paused' : undefined}>
        {stateText(r)}
        {r.origin === 'config' ? ' · from schedules.yaml' : ''}
      </td>
      <td data-label="Next run">{next === undefined || next === null ? '–' : utcTime(next)}</td>
      <td data-label="Last run">{utcTime(r.lastDueAt)}</td>
      <td data-label="Change" class="schedule-actions">
        <form
          method="post"
          action={`${props.tenantBase}/${encodeURIComponent(r.name)}/paused`}
          data-tenant={r.tenant}
          data-schedule-name={r.name}
        >
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="paused" value={r.paused ? 'false' : 'true'} />
          <button type="submit" aria-label={`${action} schedule ${r.name}`}>
            {action}
          </button>
          <span role="status" aria-live="polite" class="error" />
        </form>
      </td>
    </tr>
  );
}

async function schedulesBody(
  schedules: ScheduleService | undefined,
  c: { tenant: ConsoleEnv['Variables']['tenant']; csrfToken: string; now: number },
) {
  if (!schedules) {
    return (
      <p>Schedules are not configured in this deployment (they run with the proactive features enabled).</p>
    );
  }
  const records = await schedules.list(c.tenant);
  if (records.length === 0) {
    return (
      <p>
        This tenant has no schedules. Create one with /schedule in Telegram, POST /v1/schedules/{c.tenant} or
        schedules.yaml.
      </p>
    );
  }
  const base = tenantPath(c.tenant, 'schedules');
  return (
    <div class="table-wrap">
      <table class="schedules">
        <caption class="visually-hidden">Schedules of this tenant</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">When</th>
            <th scope="col">Prompt</th>
            <th scope="col">Target</th>
            <th scope="col">State</th>
            <th scope="col">Next run</th>
            <th scope="col">Last run</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {records.map((record) => (
            <Row record={record} now={c.now} csrfToken={c.csrfToken} tenantBase={base} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The schedules of a tenant (`/console/t/:tenant/schedules`): when each runs next and last ran,
 * and a Pause / Resume button per schedule. With script the button sends
 * `PATCH /v1/schedules/:tenant/:name` (client/pages/usage.ts); without, the form posts here (CSRF
 * field) and calls the same `ScheduleService.setPaused`, then redirects back to the list.
 */
export function schedulesPages(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/schedules', async (c) => {
    const tenant = c.get('tenant');
    const { csrfToken } = c.get('session');
    const body = await schedulesBody(deps.schedules, { tenant, csrfToken, now: deps.clock.now() });
    return c.html(
      <Page title="Schedules" page="schedules" tenant={tenant} csrfToken={csrfToken}>
        <h1>Schedules</h1>
        {body}
      </Page>,
    );
  });

  app.post('/schedules/:name/paused', async (c) => {
    const tenant = c.get('tenant');
    if (!deps.schedules) return c.notFound();
    const name = parseScheduleName(c.req.param('name'));
    const form = await c.req.parseBody();
    const paused = form['paused'] === 'true';
    await deps.schedules.setPaused(tenant, name, paused, `console:${c.get('session').principal.subject}`);
    return c.redirect(tenantPath(tenant, 'schedules'), 303);
  });
  return app;
}
