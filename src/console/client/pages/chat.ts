import { apiFetch } from '../csrf.js';
import { approvalBox, wireApproval, type Decision } from '../chat/approvals.js';
import { el, must } from '../chat/dom.js';
import { FileTray } from '../chat/files.js';
import { errorMessage } from '../chat/result.js';
import { chatRequest, droppedNote, SSE_ACCEPT, type Conversation } from '../chat/send.js';
import { agentBlock, showResult, streamTurn, userBlock, type AgentBlock } from '../chat/turn.js';

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * The chat page's live parts: sending a message (`POST /v1/chat`, streamed), Stop, approvals
 * (`POST /v1/approvals/:id`, streamed), attaching files. One turn at a time.
 */
export function initChat(): void {
  const root = document.querySelector<HTMLElement>('#chat');
  if (!root) return; // the chooser page
  const conv: Conversation = {
    tenant: root.dataset['tenant'] ?? '',
    chat: root.dataset['chat'] ?? '',
    thread: root.dataset['thread'] ?? '',
    answerPath: root.dataset['answer'] ?? '',
  };
  const turns = must<HTMLElement>(root, '#turns');
  const message = must<HTMLTextAreaElement>(root, '#message');
  const input = must<HTMLInputElement>(root, '#files');
  const send = must<HTMLButtonElement>(root, '#send');
  const stop = must<HTMLButtonElement>(root, '#stop');
  const status = must<HTMLElement>(root, '#chat-status');
  const say = (text: string): void => {
    status.textContent = text;
  };
  const tray = new FileTray(must<HTMLUListElement>(root, '#chips'), say);
  tray.acceptDrops(root);
  input.addEventListener('change', () => {
    tray.add(input.files ?? []);
    input.value = '';
  });

  let running = false;
  let turn: number | undefined;

  /**
   * Runs one streamed turn into `block`: Stop shown meanwhile, then the result (and an approval
   * request it ends on), the error, or the dropped connection. `refused`: the API ran nothing.
   */
  const run = async (
    request: () => Promise<Response>,
    block: AgentBlock,
    on: { retry?: () => void; refused?: () => void } = {},
  ): Promise<void> => {
    running = true;
    turn = undefined;
    send.disabled = true;
    stop.hidden = false;
    stop.disabled = false;
    block.root.setAttribute('aria-busy', 'true');
    say('The agent is answering…');
    const response = await request().catch(() => undefined);
    const outcome = response
      ? await streamTurn(response, block, (n) => (turn = n))
      : ({ kind: 'dropped' } as const);
    block.root.setAttribute('aria-busy', 'false');
    block.tools.finish();
    if (outcome.kind === 'result') {
      await showResult(block, outcome.result, conv.answerPath);
      const pending = outcome.result.pending_approval;
      if (pending) {
        const box = approvalBox(pending);
        block.after.append(box);
        wireApproval(box, decide);
        say(`The agent asks to run ${pending.tool}: allow or deny it below.`);
      } else say(outcome.result.error_code === 'turn_stopped' ? 'Stopped.' : 'The agent answered.');
    } else if (outcome.kind === 'dropped') {
      block.after.append(droppedNote(on.retry));
      say('The connection was lost.');
    } else {
      block.after.append(el('p', { class: 'turn-error', role: 'alert' }, outcome.message));
      say('');
      if (outcome.kind === 'refused') on.refused?.();
    }
    running = false;
    stop.hidden = true;
    send.disabled = false;
  };

  /** Sends a decision; the continued turn streams into a block below the request. */
  const decide = async (id: string, decision: Decision, box: HTMLElement): Promise<string | undefined> => {
    if (running) return 'A turn is running; wait for it or stop it first.';
    const response = await apiFetch(`/v1/approvals/${encodeURIComponent(id)}`, {
      method: 'POST',
      headers: { ...SSE_ACCEPT, 'content-type': 'application/json' },
      body: JSON.stringify({ decision, tenant: conv.tenant }),
    }).catch(() => undefined);
    if (!response) return 'The decision could not be sent (network).';
    if (!response.ok)
      return errorMessage(await response.json().catch(() => undefined), `refused (${response.status})`);
    const block = agentBlock();
    box.after(block.root);
    void run(() => Promise.resolve(response), block);
    return undefined;
  };
  for (const box of turns.querySelectorAll<HTMLElement>('.approval[data-approval-id]'))
    wireApproval(box, decide);

  const submit = (): void => {
    const text = message.value;
    if (running) return say('A turn is running: wait for its answer or stop it.');
    if (text.trim() === '') return say('Write a message first.');
    const files = tray.take();
    const request = chatRequest(conv, text, files);
    turns.querySelector('.empty')?.remove();
    const block = agentBlock();
    const article = el('article', { class: 'turn' }, userBlock(text, files), block.root);
    turns.append(article);
    article.scrollIntoView({ block: 'nearest' });
    message.value = '';
    const go = (target: AgentBlock): void => {
      void run(request, target, {
        retry: () => {
          const next = agentBlock();
          target.root.after(next.root);
          go(next);
        },
        // Nothing ran: the message and its files go back to the box, to fix and send again.
        refused: () => {
          if (message.value === '') message.value = text;
          tray.add(files, false);
        },
      });
    };
    go(block);
  };

  must<HTMLFormElement>(root, '#composer').addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  message.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    submit();
  });

  stop.addEventListener('click', async () => {
    stop.disabled = true;
    say('Stopping…');
    const path = [conv.tenant, conv.chat, conv.thread].map(encodeURIComponent).join('/');
    const response = await apiFetch(`/v1/conversations/${path}/stop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(turn === undefined ? {} : { turn }),
    }).catch(() => undefined);
    const json = obj(await response?.json().catch(() => undefined));
    if (!response?.ok) say(errorMessage(json, 'The stop request failed.'));
    else if (json['stopping'] !== true)
      say(typeof json['message'] === 'string' ? json['message'] : 'Nothing to stop.');
    stop.disabled = false;
  });
}
