import { randomBytes } from 'node:crypto';
import type { AppEnv } from '../config/env.js';
import { errorMessage } from '../core/errors.js';
import { consoleServed } from './api-app.js';
import { PortInUseError, serveApi } from './serve.js';
import type { AppDeps } from './types.js';

/** `npm start`'s web console: what to tell the person at the terminal, and how to stop it. */
export interface LocalConsole {
  /** For the terminal only (they may carry this run's sign-in token): never for the logger. */
  lines: string[];
  close(): Promise<void>;
}

/**
 * The environment of a local run that serves the console: without API_AUTH_TOKEN a random token is
 * made for this run only (`token`, for the one-click sign-in link). Set in `env`, so the logger
 * masks it like any configured secret.
 */
export function withLocalConsoleToken(env: AppEnv): { env: AppEnv; token?: string } {
  if (!consoleServed(env) || env.API_AUTH_TOKEN || env.OMNICLOUD_TENANTS_FILE) return { env };
  const token = randomBytes(32).toString('base64url');
  return { env: { ...env, API_AUTH_TOKEN: token }, token };
}

/**
 * The agent HTTP API and web console on 127.0.0.1:`OMNICLOUD_PORT` over the terminal chat's own
 * deps (one storage, one runner, one model server). A taken port, or any failure to start, is told
 * and the chat goes on without it. `token` (this run's, from `withLocalConsoleToken`) gives the
 * one-click link `…/console/login#token=…`: a fragment, so it never reaches the server or a log.
 */
export async function startLocalConsole(deps: AppDeps, token?: string): Promise<LocalConsole> {
  const none = async (): Promise<void> => {};
  if (!consoleServed(deps.env)) {
    const why = deps.env.OMNICLOUD_CONSOLE ? 'API_AUTH_MODE=iam' : 'OMNICLOUD_CONSOLE=0';
    return { lines: [`console: off (${why})`], close: none };
  }
  try {
    const served = await serveApi(deps, { dropConnections: true });
    const url = served.consoleUrl ?? `${served.url}/console`;
    const signIn = token
      ? `  sign in (this run only): ${url}/login#token=${encodeURIComponent(token)}`
      : '  sign in with API_AUTH_TOKEN';
    return { lines: [`console: ${url}`, signIn], close: () => served.close() };
  } catch (err) {
    const why =
      err instanceof PortInUseError
        ? `127.0.0.1:${deps.env.OMNICLOUD_PORT} is in use (set OMNICLOUD_PORT to a free port, or 0 for any)`
        : errorMessage(err);
    return { lines: [`console: not started — ${why}; the terminal chat runs without it`], close: none };
  }
}
