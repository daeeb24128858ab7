import type { ApprovalId, ApprovalStore } from '../../approvals/types.js';
import type { SessionId } from '../../core/ids.js';
import type { ConversationKey } from '../../core/keys.js';

/**
 * What the Telegram ingress and worker need of approvals (issue 14): the approval store and a read
 * of the conversation map. The composition root fills it from the storage (`storage.approvals`,
 * `storage.conversations.get`); telegram/ never imports sessions/.
 */
export interface TelegramApprovals {
  /** Requests (a tap's lookup, `/stop`'s cancel, the notice) and grants (`/debug`). */
  store: Pick<ApprovalStore, 'get' | 'resolve' | 'setNotice' | 'list' | 'grants'>;
  /**
   * The conversation's current session and the approval request its last turn ended on (the
   * conversation map's record), or null when it has none.
   */
  conversation(key: ConversationKey): Promise<{ sessionId: SessionId; pendingApproval?: ApprovalId } | null>;
}
