import type { ApprovalRecord } from '../../approvals/types.js';

/**
 * A pending approval request with its three decisions. The client script builds the same markup
 * for a request a live turn ends on (`client/chat/approvals.ts`) and sends the decision.
 */
export function ApprovalView(props: { record: ApprovalRecord }) {
  const { record } = props;
  const expires = new Date(record.expiresAt).toISOString();
  return (
    <section class="approval" data-approval-id={record.id} aria-label={`Approval request: ${record.tool}`}>
      <p class="approval-title">
        The agent asks to run <span class="tool-name">{record.tool}</span>
      </p>
      <pre class="approval-call">
        <code>{record.summary}</code>
      </pre>
      <p class="approval-rule">
        “Allow in this conversation” also allows later calls matching <code>{record.grantRule}</code>. Expires{' '}
        <time datetime={expires}>{expires.replace('T', ' ').slice(0, 16)} UTC</time>.
      </p>
      <div class="approval-actions">
        <button type="button" data-decision="allow_once">
          Allow once
        </button>
        <button type="button" data-decision="allow_conversation">
          Allow in this conversation
        </button>
        <button type="button" data-decision="deny" class="danger">
          Deny
        </button>
      </div>
    </section>
  );
}
