import type { Api } from 'grammy';
import type { ReplyTarget } from './reply.js';

/** Telegram shows "typing…" for ~5 s; refresh a little sooner. */
export const TYPING_INTERVAL_MS = 4000;

/** Show "typing…" in the chat/topic until the returned function is called (errors are ignored). */
export function startTyping(api: Api, target: ReplyTarget, intervalMs = TYPING_INTERVAL_MS): () => void {
  const send = (): void => {
    api
      .sendChatAction(target.chatId, 'typing', {
        ...(target.threadId !== undefined ? { message_thread_id: target.threadId } : {}),
      })
      .catch(() => undefined);
  };
  send();
  const timer = setInterval(send, intervalMs);
  return () => clearInterval(timer);
}
