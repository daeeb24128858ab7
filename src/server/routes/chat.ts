import { Hono } from 'hono';
import type { AgentRunner, TurnRequest, TurnResult } from '../../agent/types.js';
import type { Clock } from '../../core/clock.js';
import type { TenantId } from '../../core/ids.js';
import { conversationKey, conversationKeyString } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import type { FilePolicy } from '../../files/types.js';
import type { Storage } from '../../sessions/types.js';
import { storeAttachments } from '../attachments/store.js';
import { assertTenantAllowed } from '../auth.js';
import type { ApiEnv } from '../context.js';
import { apiTurnResult } from '../files-json.js';
import { answerTurn } from '../turn-stream.js';
import { readChatBody } from './chat-body.js';
import { toDate } from './chat-request.js';

export { CHAT_REQUEST, MAX_ATTACHMENTS, type ChatRequest } from './chat-request.js';

/** Whether the `Accept` header asks for `text/event-stream` (with a non-zero quality, if given). */
export function acceptsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    return type === 'text/event-stream' && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

/**
 * `POST /v1/chat`: one turn through the runner (which holds the conversation's single-writer
 * lease, like the worker). A client that disconnects does not abort the turn: it completes and is
 * persisted, so the conversation stays consistent. Responds with the original's contract `{ response, session_id, cost_usd,
 * num_turns, is_error, error_message }` plus `error_code`, `usage`, `model`, `duration_ms`, and
 * `pending_approval` when the turn ended waiting for a person to approve a tool call (passed
 * through as the runner returns it; `POST /v1/approvals/:id` continues it). A turn
 * that fails inside the agent is still HTTP 200 with `is_error: true`, as in the original. With
 * `request_id` the turn runs at most once: a retry gets the recorded result with `replayed` set.
 *
 * Files (`chat-body.ts`): multipart `file` parts or base64 JSON `attachments`, checked against the
 * tenant's policy and stored (durably and in the conversation's folder) before the turn, which gets
 * them as `attachments`; a refused file stores nothing and runs no turn. Files the agent sent are
 * listed in the result's `files` with their download paths (`files-json.ts`).
 *
 * Streaming (`"stream": true`, or `Accept: text/event-stream` unless the body says `"stream": false`):
 * the same turn answered as Server-Sent Events (`turn-stream.ts`), once the request is valid —
 * validation and scope errors stay plain 4xx JSON.
 */
export function chatRoutes(deps: {
  runner: AgentRunner;
  logger: Logger;
  clock: Clock;
  defaultTenant: string;
  /** Heartbeat interval of a streamed answer. */
  heartbeatMs: number;
  /** Where received files are stored. */
  storage: Pick<Storage, 'files'>;
  /** What a tenant accepts from users (kinds, size cap). */
  filePolicy: (tenant: TenantId) => FilePolicy;
}): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post('/', async (c) => {
    const { request: body, uploads } = await readChatBody(c);
    const key = conversationKey({
      tenant: body.tenant ?? deps.defaultTenant,
      chat: body.chat_id,
      thread: body.thread_id ?? undefined,
    });
    assertTenantAllowed(c.get('principal'), key.tenant);
    const started = deps.clock.now();
    const requestId = body.request_id !== undefined ? `api:${body.request_id}` : undefined;
    const attachments = await storeAttachments(
      {
        files: deps.storage.files,
        answered: deps.runner.answered?.bind(deps.runner),
        filesDir: deps.runner.filesDir?.bind(deps.runner),
      },
      key,
      uploads,
      deps.filePolicy(key.tenant),
      requestId,
    );
    const request: TurnRequest = {
      key,
      text: body.user_message,
      messageTime: toDate(body.message_time),
      model: body.model,
      requestedBy: c.get('principal').subject,
      ...(requestId !== undefined ? { requestId } : {}),
      ...(attachments.length > 0 ? { attachments } : {}),
    };
    const logged = (result: TurnResult): TurnResult => {
      deps.logger.info('[server] chat turn', {
        conversation: conversationKeyString(key),
        session_id: result.session_id,
        is_error: result.is_error,
        error_code: result.error_code,
        cost_usd: result.cost_usd,
        duration_ms: deps.clock.now() - started,
        ...(result.replayed ? { replayed: result.replayed } : {}),
        ...(result.pending_approval ? { pending_approval: result.pending_approval.id } : {}),
        ...(attachments.length > 0 ? { attachments: attachments.length } : {}),
        ...(result.files?.length ? { files_sent: result.files.length } : {}),
      });
      return result;
    };
    const stream = body.stream ?? acceptsEventStream(c.req.header('accept'));
    return answerTurn(
      c,
      stream,
      (onEvent) =>
        deps.runner
          .runTurn(onEvent ? { ...request, onEvent } : request)
          .then(logged)
          .then(apiTurnResult),
      { heartbeatMs: deps.heartbeatMs, logger: deps.logger },
    );
  });
  return app;
}
