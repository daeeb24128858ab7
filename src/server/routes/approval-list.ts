import { Hono } from 'hono';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../approvals/store/record.js';
import type { ApprovalRecord } from '../../approvals/types.js';
import type { ApiEnv } from '../context.js';
import { ApiError } from '../errors.js';
import type { ApprovalReader } from './approvals.js';
import { conversationKeyOf } from './conversation-key.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** One audit entry as the API shows it: no raw input (the summary is the readable form), ISO times. */
export function approvalJson(record: ApprovalRecord): Record<string, unknown> {
  return {
    id: record.id,
    tool: record.tool,
    summary: record.summary,
    grant_rule: record.grantRule,
    status: record.status,
    requested_by: record.requestedBy ?? null,
    created_at: iso(record.createdAt),
    expires_at: iso(record.expiresAt),
    resolved_at: iso(record.resolvedAt),
    resolved_by: record.resolvedBy ?? null,
  };
}

/** `?limit=` as an integer 1..200 (digits only), default 50: the stores' own bounds. */
function queryLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIST_LIMIT;
  const limit = /^[0-9]{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIST_LIMIT))
    throw new ApiError(400, 'invalid_request', 'invalid query parameter: limit', [
      { path: 'limit', message: `must be an integer from 1 to ${MAX_LIST_LIMIT}` },
    ]);
  return limit;
}

/**
 * `GET /v1/conversations/:tenant/:chat/:thread/approvals`: the conversation's approval requests,
 * newest first — pending and resolved, the audit trail (who asked, what, who decided what, when).
 * Same ids and tenant scope as the other conversation routes; a conversation without any is `[]`.
 */
export function approvalListRoutes(deps: { approvals: ApprovalReader }): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/:tenant/:chat/:thread/approvals', async (c) => {
    const key = conversationKeyOf(c);
    const limit = queryLimit(c.req.query('limit'));
    const records = await deps.approvals.list(key, { limit });
    return c.json({ approvals: records.map(approvalJson) });
  });
  return app;
}
