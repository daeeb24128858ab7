import { Hono } from 'hono';
import { Page } from '../layout.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';

/** The approvals page of a tenant (`/console/t/:tenant/approvals`). */
export function approvalsPages(_deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/approvals', (c) =>
    c.html(
      <Page
        title="Approvals"
        page="approvals"
        tenant={c.get('tenant')}
        csrfToken={c.get('session').csrfToken}
      >
        <h1>Approvals</h1>
      </Page>,
    ),
  );
  return app;
}
