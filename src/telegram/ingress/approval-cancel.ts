import type { Context } from 'grammy';
import type { ConversationKey } from '../../core/keys.js';
import type { CommandDeps } from './commands/context.js';
import { editApprovalNotice } from '../approvals/index.js';
import { displayName } from './approval-button.js';

/**
 * `/stop` with no turn running: cancel the approval request the conversation waits on (the
 * conversation map's `pendingApproval`), at most once, and edit its message. `true` when this
 * call cancelled one; the runner finds it cancelled at the conversation's next turn.
 */
export async function cancelPendingApproval(
  ctx: Context,
  key: ConversationKey,
  deps: Pick<CommandDeps, 'approvals' | 'clock' | 'logger'>,
): Promise<boolean> {
  const approvals = deps.approvals;
  if (!approvals) return false;
  const id = (await approvals.conversation(key))?.pendingApproval;
  if (id === undefined) return false;
  const from = ctx.from;
  const outcome = await approvals.store.resolve(key.tenant, id, {
    status: 'cancelled',
    at: deps.clock.now(),
    ...(from ? { by: String(from.id) } : {}),
  });
  if (!outcome.ok) return false;
  deps.logger.info('telegram: pending approval request cancelled by /stop', {
    approval: id,
    userId: from?.id,
  });
  await editApprovalNotice(
    ctx.api,
    outcome.record,
    { status: 'cancelled', ...(from ? { by: displayName(from) } : {}) },
    deps.logger,
  );
  return true;
}
