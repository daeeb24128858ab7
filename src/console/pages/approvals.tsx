import { Hono } from 'hono';
import type { ApprovalRecord, ApprovalStatus } from '../../approvals/types.js';
import { Page } from '../layout.js';
import { inertText } from '../render/untrusted.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';
import { utcTime } from './format.js';

/** Requests the page shows (the store's largest page). */
export const AUDIT_LIMIT = 200;

const STATUS: Record<ApprovalStatus, string> = {
  pending: 'Pending',
  allow_once: 'Allowed once',
  allow_conversation: 'Allowed in this conversation',
  deny: 'Denied',
  expired: 'Expired (nobody decided)',
  superseded: 'Superseded by a new message',
  cancelled: 'Cancelled (stop or new)',
};

function Row(props: { record: ApprovalRecord; now: number }) {
  const r = props.record;
  const thread = r.key.thread === 'main' ? '' : ` / ${r.key.thread}`;
  return (
    <tr data-approval={r.id} data-status={r.status}>
      <td data-label="Requested">
        <time datetime={new Date(r.createdAt).toISOString()}>{utcTime(r.createdAt)}</time>
      </td>
      <td data-label="Conversation">{`${r.key.chat}${thread}`}</td>
      <td data-label="Tool">
        <code>{inertText(r.tool)}</code>
      </td>
      <td data-label="Call" class="summary">
        <code>{inertText(r.summary)}</code>
      </td>
      <td data-label="Asked by">{r.requestedBy ? inertText(r.requestedBy) : '–'}</td>
      <td data-label="Decision" class={`status status-${r.status}`}>
        {STATUS[r.status]}
        {r.status === 'pending' && r.expiresAt > props.now ? ` until ${utcTime(r.expiresAt)}` : ''}
      </td>
      <td data-label="Decided by">{r.resolvedBy ? inertText(r.resolvedBy) : '–'}</td>
      <td data-label="Decided">
        {r.resolvedAt === undefined ? (
          '–'
        ) : (
          <time datetime={new Date(r.resolvedAt).toISOString()}>{utcTime(r.resolvedAt)}</time>
        )}
      </td>
    </tr>
  );
}

/**
 * The approvals audit log of a tenant (`/console/t/:tenant/approvals`): every conversation's
 * requests, newest first (`ApprovalStore.listTenant`), pending and resolved, with who decided what
 * and when. Tool names, summaries and user ids are untrusted text (escaped, bidi shown).
 */
export function approvalsPages(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/approvals', async (c) => {
    const tenant = c.get('tenant');
    const records = await deps.approvals.listTenant(tenant, { limit: AUDIT_LIMIT });
    const pending = records.filter((r) => r.status === 'pending').length;
    const now = deps.clock.now();
    return c.html(
      <Page title="Approvals" page="approvals" tenant={tenant} csrfToken={c.get('session').csrfToken}>
        <h1>Approvals</h1>
        <p>
          {records.length === 0
            ? 'No tool call of this tenant has asked for approval yet.'
            : `${records.length === AUDIT_LIMIT ? `The latest ${AUDIT_LIMIT} requests` : records.length === 1 ? '1 request' : `${records.length} requests`}, newest first; ${pending} pending. Pending requests are answered in their conversation.`}
        </p>
        {records.length > 0 ? (
          <div class="table-wrap">
            <table class="audit">
              <caption class="visually-hidden">Approval requests of this tenant, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Requested</th>
                  <th scope="col">Conversation</th>
                  <th scope="col">Tool</th>
                  <th scope="col">Call</th>
                  <th scope="col">Asked by</th>
                  <th scope="col">Decision</th>
                  <th scope="col">Decided by</th>
                  <th scope="col">Decided</th>
                </tr>
              </thead>
              <tbody>
                {records.map((record) => (
                  <Row record={record} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Page>,
    );
  });
  return app;
}
