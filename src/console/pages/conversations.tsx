import { Hono } from 'hono';
import { formatTime } from '../../conversations/markdown/index.js';
import type { SessionView } from '../../conversations/types.js';
import type { TenantId } from '../../core/ids.js';
import { Page, tenantPath } from '../layout.js';
import { formatUsd } from '../render/transcript.js';
import { inertText } from '../render/untrusted.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';
import { PAGE_SIZE, readSearch, SEARCH_WINDOW, withinDates, type SearchReading } from './session-filter.js';
import { chatPath, sessionPath } from './session-paths.js';
import { sessionPages } from './session.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function SearchForm(props: { tenant: TenantId; reading: SearchReading }) {
  const { typed } = props.reading;
  return (
    <form method="get" action={tenantPath(props.tenant, 'conversations')} class="search" role="search">
      <div class="field">
        <label for="q-chat">Chat</label>
        <input id="q-chat" name="chat" value={typed.chat} maxlength={64} autocomplete="off" />
      </div>
      <div class="field">
        <label for="q-thread">Thread</label>
        <input id="q-thread" name="thread" value={typed.thread} maxlength={64} autocomplete="off" />
      </div>
      <div class="field">
        <label for="q-from">From (UTC)</label>
        <input id="q-from" name="from" type="date" value={typed.from} />
      </div>
      <div class="field">
        <label for="q-to">To (UTC)</label>
        <input id="q-to" name="to" type="date" value={typed.to} />
      </div>
      <div class="field actions">
        <button type="submit" class="primary">
          Search
        </button>
        <a href={tenantPath(props.tenant, 'conversations')}>Clear</a>
      </div>
    </form>
  );
}

function SessionRow(props: { tenant: TenantId; s: SessionView }) {
  const { tenant, s } = props;
  const state = s.history === 'expired' ? 'expired' : s.current ? 'current' : 'available';
  return (
    <tr>
      <td data-label="Updated">
        <time datetime={new Date(s.updatedAt).toISOString()}>{formatTime(s.updatedAt)}</time>
      </td>
      <td data-label="Conversation">
        <a
          href={chatPath(tenant, s.key.chat, s.key.thread)}
          aria-label={`Chat ${s.key.chat}, thread ${s.key.thread}`}
        >
          {s.key.chat} / {s.key.thread}
        </a>
      </td>
      <td data-label="First question" class="title">
        <a href={sessionPath(tenant, s.sessionId)}>
          {s.title ? inertText(s.title) : `Session ${s.sessionId}`}
        </a>
      </td>
      <td data-label="Turns" class="num">
        {s.turns}
      </td>
      <td data-label="Cost" class="num">
        {formatUsd(s.costUsd)}
      </td>
      <td data-label="State">
        <span class={`state ${state}`}>{state}</span>
      </td>
    </tr>
  );
}

function pageHref(tenant: TenantId, reading: SearchReading, page: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(reading.typed)) if (v) params.set(k, v);
  params.set('page', String(page));
  return `${tenantPath(tenant, 'conversations')}?${params.toString()}`;
}

/**
 * The conversations page of a tenant (`/console/t/:tenant/conversations`): its sessions newest
 * first, searchable by chat, thread and dates, each linking to its transcript and its chat; and
 * the session pages (`session.tsx`).
 */
export function conversationsPages(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/conversations', async (c) => {
    const tenant = c.get('tenant');
    const reading = readSearch((name) => c.req.query(name));
    const { search, problems } = reading;
    const listed =
      problems.length > 0
        ? []
        : await deps.conversations.tenantSessions(tenant, {
            ...(search.chat ? { chat: search.chat } : {}),
            ...(search.chat && search.thread ? { thread: search.thread } : {}),
            limit: SEARCH_WINDOW,
          });
    const found = listed.filter((s) => withinDates(s, search));
    const pages = Math.max(1, Math.ceil(found.length / PAGE_SIZE));
    const page = Math.min(search.page, pages);
    const shown = found.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    const deleted = c.req.query('deleted');
    const searching = Boolean(search.chat || search.from || search.to);
    return c.html(
      <Page title="Conversations" page="conversations" tenant={tenant} csrfToken={c.get('session').csrfToken}>
        <h1>Conversations</h1>
        {deleted && UUID.test(deleted) ? (
          <p class="notice" role="status">
            Session {deleted} was deleted.
          </p>
        ) : null}
        <SearchForm tenant={tenant} reading={reading} />
        {problems.length > 0 ? (
          <div class="error" role="alert">
            <p>The search was not run:</p>
            <ul>
              {problems.map((p) => (
                <li>{p}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <p class="count" role="status">
          {problems.length > 0
            ? ''
            : found.length === 0
              ? searching
                ? 'No session matches this search.'
                : 'No sessions yet: start one on the Chat page.'
              : `${found.length} session${found.length === 1 ? '' : 's'}${listed.length >= SEARCH_WINDOW ? ` among the newest ${SEARCH_WINDOW}` : ''}, newest first.`}
        </p>
        {shown.length > 0 ? (
          <table class="sessions">
            <caption class="visually-hidden">Sessions of tenant {tenant}</caption>
            <thead>
              <tr>
                <th scope="col">Updated</th>
                <th scope="col">Conversation</th>
                <th scope="col">First question</th>
                <th scope="col">Turns</th>
                <th scope="col">Cost</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((s) => (
                <SessionRow tenant={tenant} s={s} />
              ))}
            </tbody>
          </table>
        ) : null}
        {pages > 1 ? (
          <nav class="pager" aria-label="Pages">
            {page > 1 ? <a href={pageHref(tenant, reading, page - 1)}>Newer</a> : null}
            <span>
              Page {page} of {pages}
            </span>
            {page < pages ? <a href={pageHref(tenant, reading, page + 1)}>Older</a> : null}
          </nav>
        ) : null}
      </Page>,
      problems.length > 0 ? 400 : 200,
    );
  });
  app.route('/', sessionPages(deps));
  return app;
}
