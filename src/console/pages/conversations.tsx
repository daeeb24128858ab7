import { Hono } from 'hono';
import { Page } from '../layout.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';

/** The conversations page of a tenant (`/console/t/:tenant/conversations`). */
export function conversationsPages(_deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/conversations', (c) =>
    c.html(
      <Page
        title="Conversations"
        page="conversations"
        tenant={c.get('tenant')}
        csrfToken={c.get('session').csrfToken}
      >
        <h1>Conversations</h1>
      </Page>,
    ),
  );
  return app;
}
