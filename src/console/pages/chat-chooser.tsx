import type { SessionView } from '../../conversations/types.js';
import type { TenantId } from '../../core/ids.js';
import { conversationKeyString } from '../../core/keys.js';
import { Page, tenantPath } from '../layout.js';
import { inertText } from '../render/untrusted.js';
import { chatPath } from './chat-paths.js';

/** How many conversations the chooser shows. */
const SHOWN = 20;

/** The newest session of each conversation, newest first (the listing is newest first already). */
export function recentConversations(sessions: readonly SessionView[]): SessionView[] {
  const seen = new Set<string>();
  const out: SessionView[] = [];
  for (const session of sessions) {
    const id = conversationKeyString(session.key);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(session);
    if (out.length === SHOWN) break;
  }
  return out;
}

const when = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** `/console/t/:tenant/chat`: start a conversation, open one by its ids, or pick a recent one. */
export function ChooserPage(props: { tenant: TenantId; csrfToken: string; recent: readonly SessionView[] }) {
  const { tenant } = props;
  return (
    <Page title="Chat" page="chat" tenant={tenant} csrfToken={props.csrfToken}>
      <h1>Chat</h1>
      <div class="chooser">
        <form method="get" action={tenantPath(tenant, 'chat/new')} class="chooser-new">
          <button type="submit" class="primary">
            New conversation
          </button>
        </form>
        <form method="get" action={tenantPath(tenant, 'chat/open')} class="chooser-open">
          <h2>Open a conversation</h2>
          <label for="open-chat">Chat id</label>
          <input id="open-chat" name="chat" required maxlength={64} autocomplete="off" />
          <label for="open-thread">Thread id</label>
          <input id="open-thread" name="thread" value="main" maxlength={64} autocomplete="off" />
          <button type="submit">Open</button>
        </form>
      </div>
      <h2>Recent conversations</h2>
      {props.recent.length === 0 ? <p>No conversations yet in this tenant.</p> : null}
      <ul class="recent">
        {props.recent.map((s) => (
          <li>
            <a href={chatPath(s.key)}>
              <span class="recent-title">{inertText(s.title) || '(no text)'}</span>
              <span class="recent-ids">
                {s.key.chat} / {s.key.thread}
              </span>
            </a>
            <span class="recent-meta">
              {when(s.updatedAt)} UTC · {s.turns} {s.turns === 1 ? 'turn' : 'turns'} · ${s.costUsd.toFixed(4)}
            </span>
          </li>
        ))}
      </ul>
    </Page>
  );
}
