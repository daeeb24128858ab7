import { Hono, type Context } from 'hono';
import { parseChatId, parseThreadId } from '../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import { tenantPath } from '../layout.js';
import { lastAnswer, readChatHistory } from '../render/turn-read.js';
import { Markdown } from '../render/turn-view.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';
import { ChooserPage, recentConversations } from './chat-chooser.js';
import { ConversationPage } from './chat-conversation.js';
import { chatPath, newChatId } from './chat-paths.js';

/** Conversations the chooser lists (the newest sessions of the tenant, one line per conversation). */
const RECENT_SESSIONS = 100;

/** The conversation a `/chat/:chat/:thread…` page addresses: ids checked by `core/ids` (hostile → 400 page). */
function keyOf(c: Context<ConsoleEnv>): ConversationKey {
  return conversationKey({
    tenant: c.get('tenant'),
    chat: c.req.param('chat'),
    thread: c.req.param('thread'),
  });
}

/**
 * The chat pages of a tenant: `/chat` chooses a conversation (recent ones, open by ids, or a new
 * one); `/chat/:chat/:thread` is the conversation (its turns so far, server-rendered, then the
 * message box the client script drives over `/v1/chat`); `/chat/:chat/:thread/answer` is the
 * last turn's answer as an HTML fragment, which the script swaps in for the streamed plain text.
 */
export function chatPages(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();

  app.get('/chat', async (c) => {
    const tenant = c.get('tenant');
    const sessions = await deps.conversations.tenantSessions(tenant, { limit: RECENT_SESSIONS });
    return c.html(
      <ChooserPage
        tenant={tenant}
        csrfToken={c.get('session').csrfToken}
        recent={recentConversations(sessions)}
      />,
    );
  });

  app.get('/chat/open', (c) => {
    const tenant = c.get('tenant');
    const key = conversationKey({
      tenant,
      chat: parseChatId(c.req.query('chat')?.trim()),
      thread: parseThreadId(c.req.query('thread')?.trim()),
    });
    return c.redirect(chatPath(key), 303);
  });

  app.get('/chat/new', (c) =>
    c.redirect(chatPath(conversationKey({ tenant: c.get('tenant'), chat: newChatId() })), 303),
  );

  app.get('/chat/:chat/:thread', async (c) => {
    const key = keyOf(c);
    const [history, approvals] = await Promise.all([
      readChatHistory(deps.storage, key),
      deps.approvals.list(key, { limit: 5 }),
    ]);
    const now = deps.clock.now();
    const pending = approvals.filter((a) => a.status === 'pending' && a.expiresAt > now);
    return c.html(
      <ConversationPage
        conversation={key}
        csrfToken={c.get('session').csrfToken}
        turns={history?.turns ?? []}
        pending={pending}
        answerPath={chatPath(key, 'answer')}
        chooserPath={tenantPath(key.tenant, 'chat')}
      />,
    );
  });

  app.get('/chat/:chat/:thread/answer', async (c) => {
    const answer = lastAnswer(await readChatHistory(deps.storage, keyOf(c)));
    c.header('cache-control', 'no-store');
    if (answer === '') return c.body(null, 204);
    return c.html(<Markdown text={answer} class="md answer" />);
  });

  return app;
}
