import { el } from './dom.js';
import type { PendingApprovalView } from './result.js';

export type Decision = 'allow_once' | 'allow_conversation' | 'deny';

const DECIDED: Record<Decision, string> = {
  allow_once: 'Allowed once.',
  allow_conversation: 'Allowed in this conversation.',
  deny: 'Denied.',
};

/** A pending request as the server renders it (`pages/chat-approval.tsx`): the call and three choices. */
export function approvalBox(p: PendingApprovalView): HTMLElement {
  const expires = p.expires_at.replace('T', ' ').slice(0, 16);
  const button = (decision: Decision, label: string, cls = ''): HTMLButtonElement =>
    el('button', { type: 'button', 'data-decision': decision, ...(cls ? { class: cls } : {}) }, label);
  return el(
    'section',
    { class: 'approval', 'data-approval-id': p.id, 'aria-label': `Approval request: ${p.tool}` },
    el(
      'p',
      { class: 'approval-title' },
      'The agent asks to run ',
      el('span', { class: 'tool-name' }, p.tool),
    ),
    el('pre', { class: 'approval-call' }, el('code', {}, p.summary)),
    el(
      'p',
      { class: 'approval-rule' },
      '“Allow in this conversation” also allows later calls matching ',
      el('code', {}, p.grant_rule),
      `. Expires ${expires} UTC.`,
    ),
    el(
      'div',
      { class: 'approval-actions' },
      button('allow_once', 'Allow once'),
      button('allow_conversation', 'Allow in this conversation'),
      button('deny', 'Deny', 'danger'),
    ),
  );
}

/**
 * Wires a request's buttons to `decide`: one decision per request (the buttons are disabled while
 * it is sent; given back if the API refuses it, with its message shown in the box).
 */
export function wireApproval(
  box: HTMLElement,
  decide: (id: string, decision: Decision, box: HTMLElement) => Promise<string | undefined>,
): void {
  const id = box.dataset['approvalId'] ?? '';
  const buttons = [...box.querySelectorAll<HTMLButtonElement>('button[data-decision]')];
  for (const button of buttons) {
    button.addEventListener('click', async () => {
      const decision = button.dataset['decision'] as Decision;
      for (const b of buttons) b.disabled = true;
      box.querySelector('.approval-outcome')?.remove();
      const refused = await decide(id, decision, box);
      const outcome = el('p', { class: 'approval-outcome', role: 'status' }, refused ?? DECIDED[decision]);
      box.append(outcome);
      if (refused !== undefined) {
        outcome.classList.add('turn-error');
        for (const b of buttons) b.disabled = false;
      } else {
        box.classList.add('decided');
        box.querySelector('.approval-actions')?.remove();
        // The focused button is gone: keep keyboard focus on the request, not the page's start.
        box.tabIndex = -1;
        box.focus();
      }
    });
  }
}
