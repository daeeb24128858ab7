import { Hono } from 'hono';
import { parseTenantId } from '../core/ids.js';
import { assertTenantAllowed, errorReply } from '../server/index.js';
import { assetRoutes } from './assets.js';
import { Page, tenantPath } from './layout.js';
import { approvalsPages } from './pages/approvals.js';
import { chatPages } from './pages/chat.js';
import { conversationsPages } from './pages/conversations.js';
import { loginRoutes } from './pages/login.js';
import { schedulesPages } from './pages/schedules.js';
import { usagePages } from './pages/usage.js';
import { consoleSecurityHeaders } from './security.js';
import { requireSession } from './session/middleware.js';
import type { ConsoleDeps, ConsoleEnv } from './types.js';

export { createConsoleSessions, CONSOLE_SESSION_TTL_MS } from './session/cookie.js';
export { withConsoleSessions } from './session/api-auth.js';
export type { ConsoleDeps, ConsoleSession, ConsoleSessions } from './types.js';

/**
 * The web console under `/console`: server-rendered pages (hono/jsx) over the API's own services,
 * one bundled script for what must be live (streamed answers, approvals, stop), the same tenant
 * scoping as the API, and a strict CSP on every response. Mounted by the app layer next to `/v1`.
 */
export function consoleRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.use('*', consoleSecurityHeaders);
  app.route('/assets', assetRoutes());
  app.route('/', loginRoutes(deps));

  app.use('*', requireSession(deps.sessions, deps.clock));
  app.get('/', (c) => {
    const { principal, csrfToken } = c.get('session');
    const tenants = deps.tenants.filter((t) => principal.tenants === 'all' || principal.tenants.includes(t));
    if (tenants.length === 1 && tenants[0]) return c.redirect(tenantPath(tenants[0], 'chat'), 303);
    return c.html(
      <Page title="Tenants" page="home" csrfToken={csrfToken}>
        <h1>Tenants</h1>
        {tenants.length === 0 ? <p>This token may address no tenant of this deployment.</p> : null}
        <ul class="tenants">
          {tenants.map((t) => (
            <li>
              <a href={tenantPath(t, 'chat')}>{t}</a>
            </li>
          ))}
        </ul>
      </Page>,
    );
  });

  app.use('/t/:tenant/*', async (c, next) => {
    const tenant = parseTenantId(c.req.param('tenant'));
    assertTenantAllowed(c.get('session').principal, tenant);
    c.set('tenant', tenant);
    await next();
  });
  for (const pages of [chatPages, conversationsPages, usagePages, approvalsPages, schedulesPages]) {
    app.route('/t/:tenant', pages(deps));
  }

  // A signed-in browser keeps its way out (home link, sign-out) on an error page.
  app.notFound((c) =>
    c.html(
      <ErrorPage status={404} message="There is no such page." csrfToken={c.get('session')?.csrfToken} />,
      404,
    ),
  );
  app.onError((err, c) => {
    const { status, body } = errorReply(err, `${c.req.method} ${c.req.path}`, deps.logger);
    const csrfToken = c.get('session')?.csrfToken;
    return c.html(
      <ErrorPage status={status} message={body.error.message} csrfToken={csrfToken} />,
      status as 400,
    );
  });
  return app;
}

/** A refusal or failure as a page: what went wrong in words, and the way back. */
function ErrorPage(props: { status: number; message: string; csrfToken?: string | undefined }) {
  return (
    <Page
      title={`Error ${props.status}`}
      page="error"
      {...(props.csrfToken ? { csrfToken: props.csrfToken } : {})}
    >
      <h1>
        {props.status === 403 ? 'Not allowed' : props.status === 404 ? 'Not found' : 'Something went wrong'}
      </h1>
      <p role="alert">{props.message}</p>
      <p>
        <a href="/console">Back to the console</a>
      </p>
    </Page>
  );
}
