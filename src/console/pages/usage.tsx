import { Hono } from 'hono';
import { Page } from '../layout.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';

/** The usage page of a tenant (`/console/t/:tenant/usage`). */
export function usagePages(_deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/usage', (c) =>
    c.html(
      <Page title="Usage" page="usage" tenant={c.get('tenant')} csrfToken={c.get('session').csrfToken}>
        <h1>Usage</h1>
      </Page>,
    ),
  );
  return app;
}
