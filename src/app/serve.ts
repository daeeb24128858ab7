import { serve } from '@hono/node-server';
import type { AppEnv } from '../config/env.js';
import { OmniError } from '../core/errors.js';
import { buildDeps, prewarmTenants } from './build-deps.js';
import { apiAppFor, consoleServed } from './api-app.js';
import { buildApiProactive } from './api-proactive.js';
import type { AppDeps } from './types.js';

export interface ServeHandle {
  /** e.g. `http://127.0.0.1:8787` */
  url: string;
  /** `<url>/console` when the web console is served (token auth, OMNICLOUD_CONSOLE not 0). */
  consoleUrl?: string;
  close(): Promise<void>;
}

/** The address to listen on is taken (EADDRINUSE): another server, or another `npm start`. */
export class PortInUseError extends OmniError {
  constructor(host: string, port: number, cause: unknown) {
    super('port_in_use', `[serve] ${host}:${port} is in use (set OMNICLOUD_PORT or --port to another port)`, {
      cause,
    });
  }
}

/**
 * The agent HTTP API on Node (`omnicloud serve`): the same Hono app as the Lambda function, with
 * the local storage and model of `buildDeps`. Listens on 127.0.0.1 unless told otherwise.
 */
export async function startApiServer(
  env: AppEnv,
  options: { rawEnv: Record<string, string | undefined>; host?: string; port?: number },
): Promise<ServeHandle> {
  const deps = await buildDeps(env, { rawEnv: options.rawEnv });
  prewarmTenants(deps);
  try {
    const served = await serveApi(deps, options);
    return {
      ...served,
      async close() {
        await served.close();
        await deps.close();
      },
    };
  } catch (err) {
    await deps.close();
    throw err;
  }
}

/**
 * The API (and console) over deps someone else built and closes — `startApiServer`, and `npm start`
 * next to its terminal chat. `close` stops listening, lets requests in flight finish (or, with
 * `dropConnections`, ends them: a console's live stream would otherwise hold the process) and stops
 * the schedule sync; the deps stay open. A taken port is a `PortInUseError`.
 */
export async function serveApi(
  deps: AppDeps,
  options: { host?: string; port?: number; dropConnections?: boolean } = {},
): Promise<ServeHandle> {
  const proactive = await buildApiProactive(deps);
  try {
    const app = apiAppFor(deps, proactive);
    const host = options.host ?? '127.0.0.1';
    const wanted = options.port ?? deps.env.OMNICLOUD_PORT;
    const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
      (resolve, reject) => {
        const s = serve({ fetch: app.fetch, hostname: host, port: wanted }, (info) =>
          resolve({ server: s, port: info.port }),
        );
        s.once('error', (err: NodeJS.ErrnoException) =>
          reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, wanted, err) : err),
        );
      },
    );
    const url = `http://${urlHost(host)}:${port}`;
    deps.logger.info('agent API listening', { url });
    return {
      url,
      ...(consoleServed(deps.env) ? { consoleUrl: `${url}/console` } : {}),
      async close() {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        if (options.dropConnections && 'closeAllConnections' in server) server.closeAllConnections();
        await closed;
        proactive.close();
      },
    };
  } catch (err) {
    proactive.close();
    throw err;
  }
}

/** An IPv6 literal goes in brackets in a URL. */
const urlHost = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
