import type { Hono } from 'hono';
import type { AppEnv } from '../config/env.js';
import { consoleRoutes, createConsoleSessions, withConsoleSessions } from '../console/index.js';
import { systemClock } from '../core/clock.js';
import { DEFAULT_FILE_POLICY } from '../files/types.js';
import { createApiApp } from '../server/index.js';
import type { ApiEnv } from '../server/context.js';
import { buildApiAuth, consoleGrants } from './api-auth.js';
import { conversationServiceFor } from './conversations.js';
import type { ApiProactive } from './api-proactive.js';
import type { AppDeps } from './types.js';

/** Whether `apiAppFor` serves the web console: token auth, and not turned off by OMNICLOUD_CONSOLE=0. */
export function consoleServed(env: AppEnv): boolean {
  return env.OMNICLOUD_CONSOLE && env.API_AUTH_MODE === 'token';
}

/**
 * The agent HTTP API over built deps — the same app on Lambda (`lambda/api.ts`) and Node
 * (`serve.ts`). The session and settings routes get the process's conversation service
 * (`conversationServiceFor`); `proactive` adds the schedules routes and the alert endpoint
 * (`buildApiProactive`). With token auth the web console is served under `/console` from the same
 * app and services, and a signed-in console may call `/v1` with its cookie (`withConsoleSessions`);
 * `OMNICLOUD_CONSOLE=0` leaves both out (`consoleServed`).
 */
export function apiAppFor(deps: AppDeps, proactive?: ApiProactive): Hono<ApiEnv> {
  const clock = systemClock;
  const conversations = conversationServiceFor(deps);
  const bearer = buildApiAuth(deps.env, deps.tenants);
  const grants = consoleServed(deps.env) ? consoleGrants(deps.env, deps.tenants) : undefined;
  const sessions = grants ? createConsoleSessions(grants) : undefined;
  const app = createApiApp({
    ...(proactive ? { schedules: proactive.schedules } : {}),
    ...(proactive?.events ? { events: proactive.events } : {}),
    runner: deps.runner,
    storage: deps.storage,
    conversations,
    usage: deps.usage,
    budgets: (tenant) => deps.tenants.tenants.get(tenant)?.budgets,
    auth: sessions ? withConsoleSessions(bearer, sessions, clock) : bearer,
    logger: deps.logger,
    clock,
    defaultTenant: deps.env.OMNICLOUD_TENANT,
    sseHeartbeatMs: deps.env.API_SSE_HEARTBEAT_MS,
    filePolicy: (tenant) => deps.tenants.tenants.get(tenant)?.files ?? DEFAULT_FILE_POLICY,
  });
  if (sessions) {
    app.route(
      '/console',
      consoleRoutes({
        sessions,
        conversations,
        storage: deps.storage,
        approvals: deps.storage.approvals,
        usage: deps.usage,
        ...(proactive ? { schedules: proactive.schedules } : {}),
        tenants: [...deps.tenants.tenants.keys()],
        budgets: (tenant) => deps.tenants.tenants.get(tenant)?.budgets,
        clock,
        logger: deps.logger,
      }),
    );
  }
  return app;
}
