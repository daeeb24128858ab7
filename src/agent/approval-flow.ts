import { newApprovalId } from '../approvals/ids.js';
import type {
  ApprovalId,
  ApprovalRecord,
  ApprovalResolution,
  ApprovalStore,
  PendingApproval,
} from '../approvals/types.js';
import type { RequestId, SessionId } from '../core/ids.js';
import { sameConversation, type ConversationKey } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import type { ConversationRecord } from '../sessions/types.js';
import type { GateAnswer, GateCall, GateTurn } from './approval-gate.js';
import type { UserPart } from './options.js';
import { contextText } from './message-context.js';
import type { ApprovalAnswer } from '../approvals/types.js';

/** How the approvals of a tenant's agent work: its policy (the gate's) and how long a request waits. */
export interface ApprovalSettings {
  /** Renders a call for the person deciding, and the rule "Allow in this conversation" grants. */
  describe(call: GateCall): { summary: string; grantRule: string };
  timeoutMs: number;
}

/** What a turn does about approvals, decided under the lease before the agent is asked. */
export interface TurnApprovals {
  /** The gate state of the turn (registered for its session while it runs). */
  gate: GateTurn;
  /**
   * The turn continues a deferred call (a decision, or a new message that supersedes it): the
   * session is resumed without a new user message; the binary asks the gate about the call first.
   */
  continuation: boolean;
  /** The request this turn resolves (returned to front ends as `resolved_approval`). */
  resolved?: { id: ApprovalId; status: ApprovalResolution; by?: string };
}

/** A decision that cannot be carried out: the turn ends with `approval_unavailable`, nothing runs. */
export interface ApprovalRefusal {
  refused: string;
}

/** Largest stored input (JSON characters); longer inputs are cut and end with `…`. */
const MAX_INPUT_CHARS = 16 * 1024;

const LABELS: Record<ApprovalResolution, string> = {
  allow_once: 'allowed once',
  allow_conversation: 'allowed in this conversation',
  deny: 'denied',
  expired: 'expired',
  superseded: 'answered by a new message',
  cancelled: 'cancelled',
};

export interface ApprovalFlowDeps {
  approvals: ApprovalStore;
  logger: Logger;
}

/**
 * The runner's side of approvals (see `approval-gate.ts` for the hook): what a turn carries into
 * the gate, and the request stored when a turn ends on a deferred call. Everything is decided
 * under the conversation's lease, from the stores: the process that asked is never needed.
 */
export function createApprovalFlow(deps: ApprovalFlowDeps) {
  const { approvals } = deps;

  /**
   * The approvals side of a turn. With `request.approval`: the stored request must be the
   * conversation's pending one (of its current session) and still open; it is resolved (at most
   * once; a re-delivery of the same work item may carry on) and the call runs or is refused. With an
   * ordinary message while a request is pending: the request is resolved as `superseded` (or
   * `expired`) and the call refused with the message as the user's answer.
   */
  async function prepare(input: {
    key: ConversationKey;
    map: ConversationRecord | null;
    answer: ApprovalAnswer | undefined;
    requestId: RequestId | undefined;
    /** The user's message(s) of an ordinary turn (told to the agent if they supersede a request). */
    messages: UserPart[];
    now: number;
  }): Promise<TurnApprovals | ApprovalRefusal> {
    const { key, map, answer, requestId, now } = input;
    const sessionId = map?.sessionId;
    const grants = lazyGrants(key, sessionId);
    if (answer) return decide(key, map, answer, requestId, grants, now);
    const pendingId = map?.pendingApproval;
    if (!pendingId || !sessionId) return { gate: { grants }, continuation: false };
    const record = await approvals.get(key.tenant, pendingId);
    if (!record || record.sessionId !== sessionId || !sameConversation(record.key, key)) {
      deps.logger.warn('conversation points at an approval request it does not own; ignored', {
        approval: pendingId,
      });
      return { gate: { grants }, continuation: false };
    }
    let status: ApprovalResolution;
    if (record.status === 'pending') {
      status = now >= record.expiresAt ? 'expired' : 'superseded';
      const outcome = await approvals.resolve(key.tenant, record.id, {
        status,
        at: now,
        ...(requestId ? { requestId } : {}),
      });
      status = outcome.ok ? status : statusOf(outcome.record, status);
    } else {
      status = record.status;
    }
    const gate: GateTurn = {
      grants,
      answer: { toolUseId: record.toolUseId, allow: false, reason: supersededReason(status, input.messages) },
    };
    return { gate, continuation: true, resolved: { id: record.id, status } };
  }

  async function decide(
    key: ConversationKey,
    map: ConversationRecord | null,
    answer: ApprovalAnswer,
    requestId: RequestId | undefined,
    grants: () => Promise<readonly string[]>,
    now: number,
  ): Promise<TurnApprovals | ApprovalRefusal> {
    const record = await approvals.get(key.tenant, answer.id);
    if (!record || !sameConversation(record.key, key)) {
      return { refused: 'there is no such approval request in this conversation' };
    }
    if (!map || map.pendingApproval !== record.id || map.sessionId !== record.sessionId) {
      return {
        refused:
          record.status === 'pending'
            ? 'this request is no longer the conversation’s current one'
            : `this request was already ${describeResolved(record)}`,
      };
    }
    const repeat =
      record.status !== 'pending' && requestId !== undefined && record.resolvedByRequest === requestId;
    if (!repeat) {
      if (record.status !== 'pending')
        return { refused: `this request was already ${describeResolved(record)}` };
      if (now >= record.expiresAt) {
        await approvals.resolve(key.tenant, record.id, { status: 'expired', at: now });
        return { refused: 'this request expired before the decision; the agent will be told' };
      }
      const outcome = await approvals.resolve(key.tenant, record.id, {
        status: answer.decision,
        at: now,
        by: answer.by,
        ...(requestId ? { requestId } : {}),
      });
      if (!outcome.ok) {
        return {
          refused: outcome.record
            ? `this request was already ${describeResolved(outcome.record)}`
            : 'there is no such approval request in this conversation',
        };
      }
    }
    const decision = repeat ? (record.status as ApprovalAnswer['decision']) : answer.decision;
    // Granted before the call runs, so the rest of this turn (and any later one) is covered.
    if (decision === 'allow_conversation') await approvals.grant(key, record.sessionId, record.grantRule);
    const gateAnswer: GateAnswer = {
      toolUseId: record.toolUseId,
      allow: decision !== 'deny',
      reason: 'The user denied this tool call. It was not run. Do not retry it; ask the user how to proceed.',
    };
    return {
      gate: { grants, answer: gateAnswer },
      continuation: true,
      resolved: {
        id: record.id,
        status: decision,
        by: repeat ? (record.resolvedBy ?? answer.by) : answer.by,
      },
    };
  }

  /** The session's grants, read once and only if a call needs them. */
  function lazyGrants(
    key: ConversationKey,
    sessionId: SessionId | undefined,
  ): () => Promise<readonly string[]> {
    let read: Promise<readonly string[]> | undefined;
    return () => {
      if (!sessionId) return Promise.resolve([]);
      read ??= approvals.grants(key, sessionId);
      return read;
    };
  }

  /** Stores the request a turn ended on (its deferred call); returns it as the turn's `pending_approval`. */
  async function recordDeferred(input: {
    key: ConversationKey;
    sessionId: SessionId;
    deferred: NonNullable<GateTurn['deferred']>;
    settings: ApprovalSettings;
    requestedBy: string | undefined;
    now: number;
  }): Promise<ApprovalRecord> {
    const { deferred, settings } = input;
    const described = settings.describe({ tool: deferred.tool, input: deferred.input });
    const json = JSON.stringify(deferred.input);
    const record: ApprovalRecord = {
      id: newApprovalId(),
      key: input.key,
      sessionId: input.sessionId,
      toolUseId: deferred.toolUseId,
      tool: deferred.tool,
      input: json.length > MAX_INPUT_CHARS ? `${json.slice(0, MAX_INPUT_CHARS - 1)}…` : json,
      summary: described.summary,
      grantRule: described.grantRule,
      ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
      createdAt: input.now,
      expiresAt: input.now + settings.timeoutMs,
      status: 'pending',
    };
    await approvals.create(record);
    return record;
  }

  /** `/new`: the conversation's pending request (if any) is cancelled. */
  async function cancelPending(
    key: ConversationKey,
    map: ConversationRecord | null,
    by: string | undefined,
    now: number,
  ): Promise<ApprovalId | undefined> {
    const id = map?.pendingApproval;
    if (!id) return undefined;
    const outcome = await approvals.resolve(key.tenant, id, {
      status: 'cancelled',
      at: now,
      ...(by ? { by } : {}),
    });
    return outcome.ok ? id : undefined;
  }

  return { prepare, recordDeferred, cancelPending };
}

export type ApprovalFlow = ReturnType<typeof createApprovalFlow>;

/** The request as a turn result's `pending_approval`. */
export function pendingApproval(record: ApprovalRecord): PendingApproval {
  let input: unknown;
  try {
    input = JSON.parse(record.input);
  } catch {
    input = record.summary;
  }
  return {
    id: record.id,
    tool: record.tool,
    input,
    summary: record.summary,
    grant_rule: record.grantRule,
    expires_at: new Date(record.expiresAt).toISOString(),
  };
}

function statusOf(record: ApprovalRecord | null, fallback: ApprovalResolution): ApprovalResolution {
  return record && record.status !== 'pending' ? record.status : fallback;
}

function describeResolved(record: ApprovalRecord): string {
  if (record.status === 'pending') return 'pending';
  const by = record.resolvedBy ? ` by ${record.resolvedBy}` : '';
  return `${LABELS[record.status]}${by}`;
}

/** What the agent is told when a new message came instead of a decision (or after one lapsed). */
function supersededReason(status: ApprovalResolution, messages: UserPart[]): string {
  const why =
    status === 'expired'
      ? 'Nobody approved this tool call before the request expired, so it was not run.'
      : status === 'cancelled'
        ? 'The user cancelled the approval request, so this tool call was not run.'
        : status === 'superseded'
          ? 'The user did not approve this tool call; they sent a new message instead, so it was not run.'
          : 'This tool call was not run.';
  if (messages.length === 0) return `${why} Do not retry it without asking the user.`;
  const said = messages
    .map((m) => {
      const time = m.messageTime ? `<message_time>${m.messageTime.toISOString()}</message_time>` : undefined;
      return [time, contextText(m), m.text].filter((l) => l !== undefined).join('\n');
    })
    .join('\n\n');
  return `${why} Do not retry it unless the user asks. The user's message (answer it):\n\n${said}`;
}
