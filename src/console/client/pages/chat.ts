import { apiFetch } from '../csrf.js';
import { approvalBox, wireApproval, type Decision } from '../chat/approvals.js';
import { el, must } from '../chat/dom.js';
import { FileTray } from '../chat/files.js';
import { errorMessage } from '../chat/result.js';
import { agentBlock, showResult, streamTurn, userBlock, type AgentBlock } from '../chat/turn.js';

/** The conversation `#chat` names (its data attributes, set by the server from validated ids). */
interface Conversation {
  tenant: string;
  chat: string;
  thread: string;
  answerPath: string;
}

const SSE = { accept: 'text/event-stream' };

/** A request id per message: a re-send of the same message (after a dropped connection) runs once. */
function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `web-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

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
  const form = must<HTMLFormElement>(root, '#composer');
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

  const conversationPath = `/v1/conversations/${[conv.tenant, conv.chat, conv.thread].map(encodeURIComponent).join('/')}`;
  let running = false;
  let turn: number | undefined;

  /** Runs one streamed turn into `block`: Stop shown meanwhile, the result or what went wrong after. */
  const run = async (
    request: () => Promise<Response>,
    block: AgentBlock,
    retry?: () => void,
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
    if (outcome.kind === 'result') {
      await showResult(block, outcome.result, conv.answerPath);
      const pending = outcome.result.pending_approval;
      if (pending) {
        const box = approvalBox(pending);
        block.after.append(box);
        wireApproval(box, decide);
        say(`The agent asks to run ${pending.tool}: allow or deny it below.`);
      } else say(outcome.result.error_code === 'turn_stopped' ? 'Stopped.' : 'The agent answered.');
    } else if (outcome.kind === 'error') {
      block.tools.finish();
      block.after.append(el('p', { class: 'turn-error', role: 'alert' }, outcome.message));
      say('');
    } else {
      block.tools.finish();
      dropped(block, retry);
    }
    running = false;
    stop.hidden = true;
    send.disabled = false;
  };

  /** The connection ended mid-turn: the turn completes on the server; offer to fetch it again. */
  const dropped = (block: AgentBlock, retry?: () => void): void => {
    const note = el(
      'p',
      { class: 'turn-error', role: 'alert' },
      'The connection was lost; the turn still completes on the server. ',
    );
    if (retry) {
      const again = el('button', { type: 'button' }, 'Get the answer');
      again.addEventListener('click', () => {
        note.remove();
        retry();
      });
      note.append(again, ' ');
    }
    const reload = el('button', { type: 'button' }, 'Reload the conversation');
    reload.addEventListener('click', () => location.reload());
    note.append(reload);
    block.after.append(note);
    say('The connection was lost.');
  };

  const decide = async (id: string, decision: Decision, box: HTMLElement): Promise<string | undefined> => {
    if (running) return 'A turn is running; wait for it or stop it first.';
    const response = await apiFetch(`/v1/approvals/${encodeURIComponent(id)}`, {
      method: 'POST',
      headers: { ...SSE, 'content-type': 'application/json' },
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
    const requestId = newRequestId();
    const body = (): BodyInit => {
      const fields = {
        tenant: conv.tenant,
        chat_id: conv.chat,
        thread_id: conv.thread,
        user_message: text,
        request_id: requestId,
      };
      if (files.length === 0) return JSON.stringify(fields);
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      for (const file of files) form.append('file', file, file.name);
      return form;
    };
    const request = (): Promise<Response> =>
      apiFetch('/v1/chat', {
        method: 'POST',
        headers: files.length === 0 ? { ...SSE, 'content-type': 'application/json' } : SSE,
        body: body(),
      });
    turns.querySelector('.empty')?.remove();
    const block = agentBlock();
    turns.append(el('article', { class: 'turn' }, userBlock(text, files), block.root));
    message.value = '';
    const go = (target: AgentBlock): void => {
      void run(request, target, () => {
        const next = agentBlock();
        target.root.after(next.root);
        go(next);
      });
    };
    go(block);
  };

  form.addEventListener('submit', (e) => {
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
    const response = await apiFetch(`${conversationPath}/stop`, {
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

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
