import { conversationKeyString, type ConversationKey } from '../core/keys.js';
import { describeConversation } from '../sessions/conversation-view.js';
import type { ChatDeps } from './chat.js';

/** `/debug` of the terminal chat: the conversation's session, its history and whether a live process holds it. */
export async function debugInfo(app: ChatDeps, key: ConversationKey): Promise<string> {
  const view = await describeConversation(app.storage, key);
  if (!view)
    return `conversation ${conversationKeyString(key)}: no session yet (the next message starts one)`;
  const { record, main, subagents } = view;
  const live = app.warm.describe(key);
  return [
    `conversation: ${conversationKeyString(key)}`,
    `session id:   ${record.sessionId}`,
    `turns:        ${record.turns}`,
    `entries:      ${main ? `${main.entries} (${main.bytes} bytes)` : 'MISSING from the store'}`,
    `subagents:    ${subagents.length ? subagents.map((s) => s.subpath).join(', ') : 'none'}`,
    `history at:   ${main?.location ?? 'n/a'}`,
    `expires:      ${new Date(record.expiresAt).toISOString()}`,
    `agent:        ${live ? `live process (pid ${live.pid ?? '?'}, idle ${Math.round(live.idleMs / 1000)} s): the next message skips the start-up` : 'no live process (the next message starts one and resumes from the store)'}`,
  ].join('\n');
}
