import { Hono } from 'hono';
import { z } from 'zod';
import { parseApprovalId } from '../../approvals/ids.js';
import {
  APPROVAL_DECISIONS,
  type ApprovalId,
  type ApprovalRecord,
  type ApprovalStore,
} from '../../approvals/types.js';
import type { AgentRunner, TurnRequest, TurnResult } from '../../agent/types.js';
import type { Clock } from '../../core/clock.js';
import { InvalidIdError } from '../../core/errors.js';
import { TENANT_RE, type TenantId } from '../../core/ids.js';
import { conversationKeyString } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import { assertTenantAllowed, type ApiPrincipal } from '../auth.js';
import type { ApiEnv } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { apiTurnResult } from '../files-json.js';
import { answerTurn } from '../turn-stream.js';
import { readJson, validate } from '../validation.js';
import { acceptsEventStream } from './chat.js';

/** What the approval routes read of storage (`storage.approvals` fills it): one request, a conversation's trail. */
export type ApprovalReader = Pick<ApprovalStore, 'get' | 'list' | 'listTenant'>;

/** `POST /v1/approvals/:id` body. Unlike `/v1/chat` (the original's contract), unknown fields are refused. */
export const APPROVAL_REQUEST = z
  .object({
    decision: z.enum(APPROVAL_DECISIONS, {
      error: `must be one of ${APPROVAL_DECISIONS.map((d) => `"${d}"`).join(', ')}`,
    }),
    tenant: z.string().regex(TENANT_RE, "use 1–32 characters a-z, 0-9 and '-' (not at the ends)").optional(),
    /** Answer with Server-Sent Events (as `Accept: text/event-stream` does); `false` never streams. */
    stream: z.boolean().optional(),
  })
  .strict();
export type ApprovalRequestBody = z.infer<typeof APPROVAL_REQUEST>;

/** The request id of an API decision: a retry of the same decision replays its recorded result. */
export const approvalRequestId = (id: ApprovalId, decision: string): string =>
  `api:approval:${id}:${decision}`;

function approvalIdOf(value: string | undefined): ApprovalId {
  try {
    return parseApprovalId(value);
  } catch (err) {
    if (!(err instanceof InvalidIdError)) throw err;
    throw new ApiError(400, 'invalid_id', err.message, [{ path: 'id', message: err.message }]);
  }
}

/**
 * The tenant a decision is for: the body's `tenant` (in the caller's scope, else 403), or the
 * caller's only tenant. A caller scoped to several or all tenants must name it (400): an approval
 * id alone does not say which tenant's store holds it, and guessing would read across tenants.
 */
export function decisionTenant(principal: ApiPrincipal, tenant: string | undefined): TenantId {
  if (tenant !== undefined) {
    assertTenantAllowed(principal, tenant as TenantId);
    return tenant as TenantId;
  }
  if (principal.tenants !== 'all' && principal.tenants.length === 1 && principal.tenants[0])
    return principal.tenants[0];
  const message = "required: this caller's scope holds several tenants";
  throw new ApiError(400, 'invalid_request', 'invalid request body: tenant', [{ path: 'tenant', message }]);
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Why a request can no longer be decided, from its stored state (the runner words the same for a race). */
export function unavailableMessage(record: ApprovalRecord): string {
  const when = record.resolvedAt !== undefined ? ` at ${iso(record.resolvedAt)}` : '';
  switch (record.status) {
    case 'pending':
      return 'approval request is no longer pending';
    case 'expired':
      return `approval request expired${when}: nobody decided before ${iso(record.expiresAt)}`;
    case 'superseded':
      return `approval request was superseded${when}: a new message came instead of a decision`;
    case 'cancelled':
      return `approval request was cancelled${when} (/stop or /new)`;
    default:
      return `approval request was already decided: ${record.status}${record.resolvedBy ? ` by ${record.resolvedBy}` : ''}${when}`;
  }
}

const unavailable = (message: string): ApiError => new ApiError(409, 'approval_unavailable', message);

/**
 * `POST /v1/approvals/:id` `{ decision, tenant? }`: continues the conversation's deferred tool call
 * with a decision (`TurnRequest.approval`), answered like `POST /v1/chat` (the TurnResult as JSON,
 * or Server-Sent Events). The runner checks the request under the conversation's lease and resolves
 * it exactly once; a request that can no longer be decided (decided, expired, cancelled,
 * superseded) is 409 `approval_unavailable`. The request id is `api:approval:<id>:<decision>`, so a
 * client retry of the same decision gets the recorded result (`replayed`) and a different decision
 * afterwards is a 409.
 */
export function approvalRoutes(deps: {
  runner: AgentRunner;
  approvals: ApprovalReader;
  logger: Logger;
  clock: Clock;
  /** Heartbeat interval of a streamed answer. */
  heartbeatMs: number;
}): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post('/:id', async (c) => {
    const id = approvalIdOf(c.req.param('id'));
    const body = validate(APPROVAL_REQUEST, await readJson(c));
    const principal = c.get('principal');
    const tenant = decisionTenant(principal, body.tenant);
    const record = await deps.approvals.get(tenant, id);
    if (!record) throw notFound('approval_not_found', 'no approval request with this id in this tenant');
    const requestId = approvalRequestId(id, body.decision);
    // Early answer for a request settled otherwise (the runner checks again under the lease).
    if (record.status !== 'pending' && record.resolvedByRequest !== requestId)
      throw unavailable(unavailableMessage(record));
    const started = deps.clock.now();
    const request: TurnRequest = {
      key: record.key,
      text: '',
      approval: { id, decision: body.decision, by: principal.subject },
      requestId,
    };
    const checked = (result: TurnResult): TurnResult => {
      deps.logger.info('[server] approval turn', {
        conversation: conversationKeyString(record.key),
        approval: id,
        decision: body.decision,
        session_id: result.session_id,
        is_error: result.is_error,
        error_code: result.error_code,
        duration_ms: deps.clock.now() - started,
        ...(result.replayed ? { replayed: result.replayed } : {}),
        ...(result.pending_approval ? { pending_approval: result.pending_approval.id } : {}),
      });
      if (result.error_code === 'approval_unavailable')
        throw unavailable(result.error_message ?? 'approval request is no longer pending');
      return result;
    };
    const stream = body.stream ?? acceptsEventStream(c.req.header('accept'));
    return answerTurn(
      c,
      stream,
      (onEvent) =>
        deps.runner
          .runTurn(onEvent ? { ...request, onEvent } : request)
          .then(checked)
          .then(apiTurnResult),
      { heartbeatMs: deps.heartbeatMs, logger: deps.logger },
    );
  });
  return app;
}
