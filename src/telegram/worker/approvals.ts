import type { Api } from 'grammy';
import type { TurnResult } from '../../agent/types.js';
import type { ApprovalId, ApprovalRecord } from '../../approvals/types.js';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { ConversationKey } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import type { ApprovalWork } from '../../queue/types.js';
import {
  editApprovalNotice,
  sendApprovalRequest,
  type ApprovalOutcome,
  type TelegramApprovals,
} from '../approvals/index.js';
import type { ReplyTarget } from './reply.js';
import { clipHead } from './live/clip.js';
import { texts } from './texts.js';

export interface WorkerApprovalsDeps {
  api: Api;
  approvals: TelegramApprovals;
  clock: Clock;
  logger: Logger;
}

/**
 * The worker's side of approval requests: show the request a turn ended on (the message with its
 * three buttons, remembered as the request's notice) and update a request's message once it is
 * resolved. Telegram problems are logged, never thrown (the turn has run).
 */
export function createWorkerApprovals(deps: WorkerApprovalsDeps) {
  const { api, approvals, clock, logger } = deps;

  const read = async (key: ConversationKey, id: ApprovalId): Promise<ApprovalRecord | null> =>
    approvals.store.get(key.tenant, id).catch((err: unknown) => {
      logger.warn('telegram: could not read an approval request', { approval: id, error: errorMessage(err) });
      return null;
    });

  /** Send the request `result` ended on; `true` once it is shown (and its notice stored). */
  const showPending = async (
    key: ConversationKey,
    result: TurnResult,
    target: ReplyTarget,
  ): Promise<boolean> => {
    const pending = result.pending_approval;
    if (!pending) return true;
    try {
      const notice = await sendApprovalRequest(
        api,
        target,
        {
          id: pending.id,
          tool: pending.tool,
          summary: pending.summary,
          grantRule: pending.grant_rule,
          expiresAt: Date.parse(pending.expires_at),
        },
        clock.now(),
      );
      await approvals.store.setNotice(key.tenant, pending.id, notice).catch((err: unknown) => {
        // Shown but not remembered: the buttons still work (a request without a notice is decided
        // from any message of its conversation); only the later edit is lost.
        logger.warn('telegram: could not remember the approval message', {
          approval: pending.id,
          error: errorMessage(err),
        });
      });
      return true;
    } catch (err) {
      logger.error('telegram: could not send an approval request', {
        approval: pending.id,
        chatId: target.chatId,
        error: errorMessage(err),
      });
      return false;
    }
  };

  /** Edit the message of a request the turn resolved (by a decision, or superseded / expired / cancelled). */
  const showResolved = async (
    key: ConversationKey,
    result: TurnResult,
    work?: ApprovalWork,
  ): Promise<void> => {
    const resolved = result.resolved_approval;
    if (!resolved) return;
    const record = await read(key, resolved.id);
    if (!record) return;
    const decidedHere = work !== undefined && work.approvalId === resolved.id;
    const outcome: ApprovalOutcome = {
      status: resolved.status,
      ...(decidedHere ? { by: work.byName ?? `user ${work.source.userId ?? '?'}` } : {}),
      ...(resolved.status === 'allow_conversation' ? { grantRule: record.grantRule } : {}),
    };
    await editApprovalNotice(api, record, outcome, logger);
  };

  /**
   * A decision the runner refused (`approval_unavailable`). `false` when it is a repeat of a
   * decision already made by a person (a double tap): nothing more is said in the chat. Otherwise
   * the request's message says how it ended (or why this decision could not be used).
   */
  const showUnavailable = async (work: ApprovalWork, result: TurnResult): Promise<boolean> => {
    const record = await read(work.key, work.approvalId);
    if (!record) return true;
    if (
      record.status === 'allow_once' ||
      record.status === 'allow_conversation' ||
      record.status === 'deny'
    ) {
      logger.info('telegram: approval decision for a request already decided; nothing sent', {
        approval: work.approvalId,
        status: record.status,
      });
      return false;
    }
    const outcome: ApprovalOutcome =
      record.status === 'pending'
        ? { status: 'unavailable', reason: result.error_message ?? 'this request can no longer be answered.' }
        : { status: record.status };
    await editApprovalNotice(api, record, outcome, logger);
    return true;
  };

  /** `/new` (or a `/sessions` switch: `by`) cancelled a request: its message says so. */
  const showCancelled = async (key: ConversationKey, id: ApprovalId, by = '/new'): Promise<void> => {
    const record = await read(key, id);
    if (record) await editApprovalNotice(api, record, { status: 'cancelled', by }, logger);
  };

  /**
   * `/debug`: the conversation's recent requests and the rules granted in its current session. A
   * failed read is said, never thrown (the transcript files still follow).
   */
  const debugText = async (key: ConversationKey): Promise<string> => {
    try {
      return await approvalsReport(key);
    } catch (err) {
      logger.warn('telegram: could not read approvals for /debug', { error: errorMessage(err) });
      return texts.debugApprovalsUnreadable;
    }
  };

  const approvalsReport = async (key: ConversationKey): Promise<string> => {
    const [records, conversation] = await Promise.all([
      approvals.store.list(key, { limit: 10 }),
      approvals.conversation(key),
    ]);
    const grants = conversation ? await approvals.store.grants(key, conversation.sessionId) : [];
    const lines: string[] = [records.length ? texts.debugApprovalsHeader : texts.debugApprovalsNone];
    for (const r of records) lines.push(`• ${debugLine(r)}`);
    lines.push(grants.length ? texts.debugGrants(grants) : texts.debugGrantsNone);
    return lines.join('\n');
  };

  return { showPending, showResolved, showUnavailable, showCancelled, debugText };
}

export type WorkerApprovals = ReturnType<typeof createWorkerApprovals>;

const RESOLVED: Record<Exclude<ApprovalRecord['status'], 'pending'>, string> = {
  allow_once: 'allowed once',
  allow_conversation: 'allowed in this conversation',
  deny: 'denied',
  expired: 'expired',
  superseded: 'not run (a new message came instead)',
  cancelled: 'cancelled',
};

function debugLine(r: ApprovalRecord): string {
  const at = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
  const day = new Date(r.createdAt).toISOString().slice(0, 10);
  const summary = clipHead(r.summary, 80);
  const status =
    r.status === 'pending'
      ? `pending until ${at(r.expiresAt)} UTC`
      : `${RESOLVED[r.status]}${r.resolvedBy ? ` by user ${r.resolvedBy}` : ''}`;
  return `${day} ${at(r.createdAt)} UTC ${r.tool}: ${summary} — ${status}`;
}
