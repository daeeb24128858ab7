import { apiFetch } from '../csrf.js';
import { el } from './dom.js';

/** The conversation `#chat` names (its data attributes, set by the server from validated ids). */
export interface Conversation {
  tenant: string;
  chat: string;
  thread: string;
  /** The last answer as a server-rendered fragment (`/chat/:chat/:thread/answer`). */
  answerPath: string;
}

/** Asks for Server-Sent Events: the turn's live events, then its result. */
export const SSE_ACCEPT = { accept: 'text/event-stream' };

/** A request id per message: a re-send of the same message (after a dropped connection) runs once. */
function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `web-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * `POST /v1/chat` for one message, as a function so a re-send is the same request (same
 * `request_id`, same files): JSON, or multipart with `file` parts when files go with it.
 */
export function chatRequest(
  conv: Conversation,
  text: string,
  files: readonly File[],
): () => Promise<Response> {
  const fields = {
    tenant: conv.tenant,
    chat_id: conv.chat,
    thread_id: conv.thread,
    user_message: text,
    request_id: newRequestId(),
  };
  const body = (): BodyInit => {
    if (files.length === 0) return JSON.stringify(fields);
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    for (const file of files) form.append('file', file, file.name);
    return form;
  };
  return () =>
    apiFetch('/v1/chat', {
      method: 'POST',
      headers: files.length === 0 ? { ...SSE_ACCEPT, 'content-type': 'application/json' } : SSE_ACCEPT,
      body: body(),
    });
}

/** The alert for a connection that ended mid-turn: the turn completes on the server anyway. */
export function droppedNote(retry: (() => void) | undefined): HTMLElement {
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
  return note;
}
