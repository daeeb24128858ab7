// The console's one script (bundled by scripts/build-console.ts). Pages are server-rendered and
// work without it for reading; it adds what must be live. `<body data-page>` says which page this is.
import { initChat } from './pages/chat.js';
import { initConversations } from './pages/conversations.js';
import { initLogin } from './pages/login.js';
import { initUsage } from './pages/usage.js';

const PAGES: Record<string, () => void> = {
  login: initLogin,
  chat: initChat,
  conversations: initConversations,
  session: initConversations,
  usage: initUsage,
  approvals: initUsage,
  schedules: initUsage,
};

function start(): void {
  const page = document.body.dataset['page'] ?? '';
  PAGES[page]?.();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
