import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AgentRunner } from '../agent/types.js';
import type { ConversationService } from '../conversations/types.js';
import { systemClock, type Clock } from '../core/clock.js';
import { DEFAULT_TENANT, type TenantId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { ScheduleService } from '../schedules/index.js';
import { DEFAULT_FILE_POLICY, type FilePolicy } from '../files/types.js';
import { eventRoutes, type EventRoutesDeps } from '../events/index.js';
import type { Storage } from '../sessions/types.js';
import type { Budgets, UsageStore } from '../usage/index.js';
import type { ApiAuth } from './auth.js';
import type { ApiEnv } from './context.js';
import { ApiError, errorResponse, notFound } from './errors.js';
import { approvalListRoutes } from './routes/approval-list.js';
import { approvalRoutes, type ApprovalReader } from './routes/approvals.js';
import { chatRoutes } from './routes/chat.js';
import { conversationRoutes } from './routes/conversations.js';
import { fileRoutes } from './routes/files.js';
import { scheduleRoutes } from './routes/schedules.js';
import { sessionRoutes } from './routes/sessions.js';
import { stopRoutes, type StopRequester } from './routes/stop.js';
import { tenantSessionRoutes } from './routes/tenant-sessions.js';
import { usageRoutes } from './routes/usage.js';
import { DEFAULT_SSE_HEARTBEAT_MS } from './turn-stream.js';

export interface ApiAppDeps {
  runner: AgentRunner;
  storage: Storage;
  auth: ApiAuth;
  logger: Logger;
  /** Serves `GET /v1/usage/:tenant` and `…/:tenant/daily` when given. */
  usage?: UsageStore;
  /** A tenant's budgets, shown with its usage history (`GET /v1/usage/:tenant/daily`). */
  budgets?: (tenant: TenantId) => Budgets | undefined;
  /** Largest accepted request body (default 256 KiB); larger → 413 `payload_too_large`. */
  maxBodyBytes?: number;
  /**
   * Largest accepted `POST /v1/chat` body, which may carry files (default 28 MiB: a 20 MB file as
   * base64 with its message); larger → 413 `payload_too_large` before more than this is read.
   */
  maxChatBodyBytes?: number;
  /** What a tenant accepts from users (default `DEFAULT_FILE_POLICY`: every kind up to 20 MB). */
  filePolicy?: (tenant: TenantId) => FilePolicy;
  /** Tenant of `POST /v1/chat` bodies without `tenant` (default `default`). */
  defaultTenant?: string;
  /** Time source for durations and usage windows (default the system clock). */
  clock?: Clock;
  /** Where `POST /v1/conversations/…/stop` sends stop requests (default `storage.leases`). */
  stops?: StopRequester;
  /** Heartbeat interval of a streamed `POST /v1/chat` (default 15 s). */
  sseHeartbeatMs?: number;
  /** Where the approval routes read requests and the audit trail (default `storage.approvals`). */
  approvals?: ApprovalReader;
  /**
   * Serves the session and settings routes (`/v1/conversations/:tenant/sessions…`,
   * `…/:chat/:thread/sessions`, `…/settings`) when given; the app layer builds it with
   * `conversationServiceFor`.
   */
  conversations?: ConversationService;
  /** Serves `/v1/schedules/:tenant[/:name]` (list, read, create, change, pause, remove) when given. */
  schedules?: ScheduleService;
  /**
   * Serves `POST /v1/events/:tenant` (alerts, docs/events.md) when given. That route has its own
   * per-tenant event tokens: the API's bearer auth does not apply to it.
   */
  events?: EventRoutesDeps;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
export const DEFAULT_MAX_CHAT_BODY_BYTES = 28 * 1024 * 1024;

const requestContextOf = (env: unknown): unknown =>
  typeof env === 'object' && env !== null ? (env as { requestContext?: unknown }).requestContext : undefined;

/**
 * The agent HTTP API, one app for Lambda (`hono/aws-lambda`) and Node (`@hono/node-server`).
 * `GET /healthz` is open; everything under `/v1` is authenticated, size-limited and answers errors as
 * `{ error: { code, message } }` through the single `onError`.
 */
export function createApiApp(deps: ApiAppDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const maxSize = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxChatSize = deps.maxChatBodyBytes ?? DEFAULT_MAX_CHAT_BODY_BYTES;
  const clock = deps.clock ?? systemClock;

  app.use('*', async (c, next) => {
    const started = clock.now();
    const requestId = (c.req.header('x-request-id') ?? '').slice(0, 100) || randomUUID();
    c.header('x-request-id', requestId);
    await next();
    deps.logger.info('[server] request', {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: clock.now() - started,
      subject: c.get('principal')?.subject,
    });
  });

  app.get('/healthz', (c) => c.json({ ok: true }));

  // Alerts come first: the events route checks its own per-tenant tokens and body size and answers
  // without going on, so the API's auth and body limit below never run for it.
  if (deps.events) app.route('/v1/events', eventRoutes({ clock, ...deps.events }));

  app.use('/v1/*', async (c, next) => {
    const principal = await deps.auth.authorize({
      request: c.req.raw,
      requestContext: requestContextOf(c.env),
    });
    c.set('principal', principal);
    await next();
  });
  // A declared Content-Length over the limit is refused at once; a chunked body is counted as it
  // is read and refused as soon as it passes the limit.
  const limit = (max: number) =>
    bodyLimit({
      maxSize: max,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `request body exceeds ${max} bytes`);
      },
    });
  const chatLimit = limit(maxChatSize);
  const otherLimit = limit(maxSize);
  app.use('/v1/*', (c, next) =>
    (c.req.method === 'POST' && c.req.path === '/v1/chat' ? chatLimit : otherLimit)(c, next),
  );

  app.route(
    '/v1/chat',
    chatRoutes({
      runner: deps.runner,
      logger: deps.logger,
      clock,
      defaultTenant: deps.defaultTenant ?? DEFAULT_TENANT,
      heartbeatMs: deps.sseHeartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS,
      storage: deps.storage,
      filePolicy: deps.filePolicy ?? (() => DEFAULT_FILE_POLICY),
    }),
  );
  const approvals = deps.approvals ?? deps.storage.approvals;
  app.route(
    '/v1/approvals',
    approvalRoutes({
      runner: deps.runner,
      approvals,
      logger: deps.logger,
      clock,
      heartbeatMs: deps.sseHeartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS,
    }),
  );
  app.route('/v1/conversations', approvalListRoutes({ approvals }));
  // Before the conversation routes: `/:tenant/sessions/:session` must not be read as a chat/thread.
  if (deps.conversations) {
    app.route('/v1/conversations', tenantSessionRoutes({ conversations: deps.conversations }));
    app.route(
      '/v1/conversations',
      sessionRoutes({
        conversations: deps.conversations,
        reset: (key) => deps.runner.resetConversation(key),
      }),
    );
  }
  app.route('/v1/conversations', conversationRoutes({ storage: deps.storage, logger: deps.logger }));
  app.route('/v1/conversations', fileRoutes({ files: deps.storage.files }));
  app.route(
    '/v1/conversations',
    stopRoutes({ stops: deps.stops ?? deps.storage.leases, logger: deps.logger }),
  );
  if (deps.usage) {
    const budgets = deps.budgets;
    app.route('/v1/usage', usageRoutes({ usage: deps.usage, clock, ...(budgets ? { budgets } : {}) }));
  }
  if (deps.schedules) {
    app.route('/v1/schedules', scheduleRoutes({ schedules: deps.schedules, now: () => clock.now() }));
  }
  app.notFound((c) => errorResponse(c, notFound('not_found', 'no such route'), deps.logger));
  app.onError((err, c) => errorResponse(c, err, deps.logger));
  return app;
}
