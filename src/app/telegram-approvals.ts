import type { Storage } from '../sessions/types.js';
import type { TelegramApprovals } from '../telegram/approvals/index.js';

/**
 * Fill Telegram's approvals interface from the storage: the approval store and the conversation
 * map's record (session id and the request it waits on). Ingress and worker take only this.
 */
export function telegramApprovalsOf(
  storage: Pick<Storage, 'approvals' | 'conversations'>,
): TelegramApprovals {
  return {
    store: storage.approvals,
    conversation: (key) => storage.conversations.get(key),
  };
}
