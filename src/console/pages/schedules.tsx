import { Hono } from 'hono';
import { Page } from '../layout.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';

/** The schedules page of a tenant (`/console/t/:tenant/schedules`). */
export function schedulesPages(_deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/schedules', (c) =>
    c.html(
      <Page
        title="Schedules"
        page="schedules"
        tenant={c.get('tenant')}
        csrfToken={c.get('session').csrfToken}
      >
        <h1>Schedules</h1>
      </Page>,
    ),
  );
  return app;
}
