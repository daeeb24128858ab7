import type { MessageAuthor, MessageContext } from '../../agent/types.js';
import type { AgentWork, TelegramAuthor } from '../../queue/types.js';

/**
 * What the agent is told about a queued message besides its text (issue 17): its sender and what
 * it replies to, in the runner's terms (ids as text, "the bot" as "the assistant"). Empty when the
 * message carries neither, so the turn request is what it was before.
 */
export function messageContextOf(work: Pick<AgentWork, 'sender' | 'quote'>): MessageContext {
  const { sender, quote } = work;
  return {
    ...(sender ? { sender: authorOf(sender) } : {}),
    ...(quote
      ? {
          quote: {
            text: quote.text,
            ...(quote.from ? { from: authorOf(quote.from) } : {}),
            fromAssistant: quote.fromBot,
          },
        }
      : {}),
  };
}

function authorOf(author: TelegramAuthor): MessageAuthor {
  return {
    name: author.name,
    id: String(author.id),
    ...(author.username !== undefined ? { username: author.username } : {}),
  };
}
