import { Hono, type Context } from 'hono';
import { formatTime } from '../../conversations/markdown/index.js';
import type { SessionView } from '../../conversations/types.js';
import { parseSessionId, type SessionId } from '../../core/ids.js';
import { exportSession } from '../../sessions/conversation-view.js';
import { CsrfField, Page, tenantPath } from '../layout.js';
import { formatUsd, TranscriptView } from '../render/transcript.js';
import { inertText } from '../render/untrusted.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';
import { apiSessionPath, apiSwitchPath, chatPath, sessionPath } from './session-paths.js';

/**
 * One session of a tenant (`/console/t/:tenant/sessions/:session`): its facts, its transcript
 * (`render/transcript.tsx`) and its actions: continue the conversation from it (a form post that
 * calls the conversation service, as the API's switch route does), export it (links to the API's
 * export, which the cookie authorises) and delete it (a confirmation page whose form the client
 * script sends as `DELETE` to the API; without the script the form post calls the service).
 */

const sessionIdOf = (c: Context<ConsoleEnv>): SessionId => parseSessionId(c.req.param('session'));

function Facts(props: { s: SessionView }) {
  const { s } = props;
  const tenant = s.key.tenant;
  const history = s.history === 'available' ? 'kept' : s.history === 'expired' ? 'expired' : 'missing';
  return (
    <dl class="facts">
      <dt>Conversation</dt>
      <dd>
        <a href={chatPath(tenant, s.key.chat, s.key.thread)}>
          chat {s.key.chat} / thread {s.key.thread}
        </a>
        {s.current ? ' (its current session)' : ''}
      </dd>
      <dt>Session</dt>
      <dd>
        <code>{s.sessionId}</code>
      </dd>
      <dt>Created</dt>
      <dd>{formatTime(s.createdAt)}</dd>
      <dt>Updated</dt>
      <dd>{formatTime(s.updatedAt)}</dd>
      <dt>Turns</dt>
      <dd>{s.turns}</dd>
      <dt>Cost</dt>
      <dd>{formatUsd(s.costUsd)}</dd>
      {s.model ? (
        <>
          <dt>Model</dt>
          <dd>
            <code>{inertText(s.model)}</code>
          </dd>
        </>
      ) : null}
      <dt>History</dt>
      <dd>
        {history}
        {s.history === 'available' ? ` until ${formatTime(s.historyUntil) ?? ''}` : ''}
      </dd>
    </dl>
  );
}

function Actions(props: { s: SessionView; csrfToken: string }) {
  const { s, csrfToken } = props;
  const tenant = s.key.tenant;
  return (
    <div class="session-actions">
      {!s.current && s.history === 'available' ? (
        <form
          method="post"
          action={sessionPath(tenant, s.sessionId, 'switch')}
          data-api={apiSwitchPath(s)}
          data-method="POST"
          data-done={`${sessionPath(tenant, s.sessionId)}?switched=1`}
          data-done-unchanged={`${sessionPath(tenant, s.sessionId)}?switched=unchanged`}
        >
          <CsrfField token={csrfToken} />
          <p class="error" role="alert" hidden />
          <button type="submit" class="primary">
            Continue the conversation from this session
          </button>
        </form>
      ) : null}
      <a class="button" href={apiSessionPath(tenant, s.sessionId, 'export?format=md')} download>
        Export Markdown
      </a>
      <a class="button" href={apiSessionPath(tenant, s.sessionId, 'export?format=jsonl')} download>
        Export JSONL
      </a>
      <a class="button danger" href={sessionPath(tenant, s.sessionId, 'delete')}>
        Delete…
      </a>
    </div>
  );
}

export function sessionPages(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();

  app.get('/sessions/:session', async (c) => {
    const tenant = c.get('tenant');
    const { csrfToken } = c.get('session');
    const detail = await deps.conversations.session(tenant, sessionIdOf(c));
    const s = detail.session;
    const exported = await exportSession(deps.storage, tenant, s.sessionId);
    const switched = c.req.query('switched');
    const title = s.title ? inertText(s.title) : `Session ${s.sessionId}`;
    return c.html(
      <Page title={title} page="session" tenant={tenant} csrfToken={csrfToken}>
        <p class="crumbs">
          <a href={tenantPath(tenant, 'conversations')}>Conversations</a>
        </p>
        <h1 class="session-title">{title}</h1>
        {switched === '1' || switched === 'unchanged' ? (
          <p class="notice" role="status">
            {switched === '1'
              ? 'The conversation now continues from this session.'
              : 'The conversation was already on this session.'}
          </p>
        ) : null}
        <Facts s={s} />
        <Actions s={s} csrfToken={csrfToken} />
        <TranscriptView exported={exported} costUsd={s.costUsd} />
      </Page>,
    );
  });

  app.post('/sessions/:session/switch', async (c) => {
    const tenant = c.get('tenant');
    const id = sessionIdOf(c);
    const { session } = await deps.conversations.session(tenant, id);
    const outcome = await deps.conversations.switchTo(session.key, id, c.get('session').principal.subject);
    return c.redirect(`${sessionPath(tenant, id)}?switched=${outcome.unchanged ? 'unchanged' : '1'}`, 303);
  });

  app.get('/sessions/:session/delete', async (c) => {
    const tenant = c.get('tenant');
    const { csrfToken } = c.get('session');
    const { session: s } = await deps.conversations.session(tenant, sessionIdOf(c));
    const title = s.title ? inertText(s.title) : `Session ${s.sessionId}`;
    return c.html(
      <Page title="Delete session" page="session" tenant={tenant} csrfToken={csrfToken}>
        <h1>Delete this session?</h1>
        <p>
          “{title}” (chat {s.key.chat} / thread {s.key.thread}, {s.turns} turn{s.turns === 1 ? '' : 's'},{' '}
          {formatTime(s.updatedAt)}): its transcript and subagent streams are deleted from the store.
          {s.current ? ' It is its conversation’s current session: the conversation starts afresh.' : ''} This
          cannot be undone.
        </p>
        <form
          method="post"
          action={sessionPath(tenant, s.sessionId, 'delete')}
          class="confirm-delete"
          data-api={apiSessionPath(tenant, s.sessionId)}
          data-method="DELETE"
          data-done={`${tenantPath(tenant, 'conversations')}?deleted=${s.sessionId}`}
        >
          <CsrfField token={csrfToken} />
          <p class="error" role="alert" hidden />
          <button type="submit" class="danger" autofocus>
            Delete session
          </button>{' '}
          <a href={sessionPath(tenant, s.sessionId)}>Cancel</a>
        </form>
      </Page>,
    );
  });

  app.post('/sessions/:session/delete', async (c) => {
    const tenant = c.get('tenant');
    const outcome = await deps.conversations.deleteSession(
      tenant,
      sessionIdOf(c),
      c.get('session').principal.subject,
    );
    return c.redirect(`${tenantPath(tenant, 'conversations')}?deleted=${outcome.session.sessionId}`, 303);
  });

  return app;
}
