import type { Child } from 'hono/jsx';
import type { TenantId } from '../core/ids.js';
import { ICON_URL, SCRIPT_URL, STYLE_URL } from './assets.js';
import { CSRF_FIELD } from './session/request.js';

/** Which page a document is (`<body data-page>`): the client script starts that page's code. */
export type PageName =
  'login' | 'home' | 'chat' | 'conversations' | 'session' | 'usage' | 'schedules' | 'approvals' | 'error';

export interface PageProps {
  title: string;
  page: PageName;
  /** The tenant the page is about (shows the tenant's navigation). */
  tenant?: TenantId;
  /** Given on every signed-in page: the client script reads it from `<meta name="csrf-token">`. */
  csrfToken?: string;
  children?: Child;
}

const NAV: Array<{ page: PageName; label: string; path: string }> = [
  { page: 'chat', label: 'Chat', path: 'chat' },
  { page: 'conversations', label: 'Conversations', path: 'conversations' },
  { page: 'usage', label: 'Usage', path: 'usage' },
  { page: 'approvals', label: 'Approvals', path: 'approvals' },
  { page: 'schedules', label: 'Schedules', path: 'schedules' },
];

/** `/console/t/<tenant>/<rest>`, with the tenant escaped as a path segment. */
export function tenantPath(tenant: TenantId, rest = ''): string {
  return `/console/t/${encodeURIComponent(tenant)}${rest ? `/${rest}` : ''}`;
}

/**
 * The document every console page shares: one stylesheet and one script from this origin (the CSP
 * allows nothing else), a skip link, the tenant's navigation (`aria-current` on this page) and a
 * sign-out form. Everything interpolated is escaped by hono/jsx.
 */
export function Page(props: PageProps) {
  const { tenant, page } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {props.csrfToken ? <meta name="csrf-token" content={props.csrfToken} /> : null}
        <title>{`${props.title} · OmniCloud console`}</title>
        <link rel="icon" href={ICON_URL} type="image/svg+xml" />
        <link rel="stylesheet" href={STYLE_URL} />
        <script src={SCRIPT_URL} defer />
      </head>
      <body data-page={page}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          {/* Signed out, the brand is plain text: from the top, Tab goes skip link → first field. */}
          {props.csrfToken ? (
            <a class="brand" href="/console">
              OmniCloud console
            </a>
          ) : (
            <span class="brand">OmniCloud console</span>
          )}
          {tenant ? (
            <nav aria-label="Tenant">
              <span class="tenant" title="tenant">
                {tenant}
              </span>
              <ul>
                {NAV.map((item) => (
                  <li>
                    <a
                      href={tenantPath(tenant, item.path)}
                      aria-current={
                        item.page === page || (page === 'session' && item.page === 'conversations')
                          ? 'page'
                          : undefined
                      }
                    >
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {props.csrfToken ? (
            <form method="post" action="/console/logout" class="signout">
              <CsrfField token={props.csrfToken} />
              <button type="submit">Sign out</button>
            </form>
          ) : null}
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** The hidden CSRF field every console form carries. */
export function CsrfField(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}
