import { Hono } from 'hono';
import { Page } from '../layout.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';

/** The chat page of a tenant (`/console/t/:tenant/chat`). */
export function chatPages(_deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/chat', (c) =>
    c.html(
      <Page title="Chat" page="chat" tenant={c.get('tenant')} csrfToken={c.get('session').csrfToken}>
        <h1>Chat</h1>
      </Page>,
    ),
  );
  return app;
}
