import type { Hono } from 'hono';
import { DEFAULT_FILE_POLICY } from '../files/types.js';
import { createApiApp } from '../server/index.js';
import type { ApiEnv } from '../server/context.js';
import { buildApiAuth } from './api-auth.js';
import { conversationServiceFor } from './conversations.js';
import type { ApiProactive } from './api-proactive.js';
import type { AppDeps } from './types.js';

/**
 * The agent HTTP API over built deps — the same app on Lambda (`lambda/api.ts`) and Node
 * (`serve.ts`). The session and settings routes get the process's conversation service
 * (`conversationServiceFor`); `proactive` adds the schedules routes and the alert endpoint
 * (`buildApiProactive`).
 */
export function apiAppFor(deps: AppDeps, proactive?: ApiProactive): Hono<ApiEnv> {
  return createApiApp({
    ...(proactive ? { schedules: proactive.schedules } : {}),
    ...(proactive?.events ? { events: proactive.events } : {}),
    runner: deps.runner,
    storage: deps.storage,
    conversations: conversationServiceFor(deps),
    usage: deps.usage,
    auth: buildApiAuth(deps.env, deps.tenants),
    logger: deps.logger,
    defaultTenant: deps.env.OMNICLOUD_TENANT,
    sseHeartbeatMs: deps.env.API_SSE_HEARTBEAT_MS,
    filePolicy: (tenant) => deps.tenants.tenants.get(tenant)?.files ?? DEFAULT_FILE_POLICY,
  });
}
