import { serve } from '@hono/node-server';
import type { AppEnv } from '../config/env.js';
import { buildDeps, prewarmTenants } from './build-deps.js';
import { apiAppFor } from './api-app.js';
import { buildApiProactive } from './api-proactive.js';

export interface ServeHandle {
  /** e.g. `http://127.0.0.1:8787` */
  url: string;
  close(): Promise<void>;
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
    const proactive = await buildApiProactive(deps);
    const app = apiAppFor(deps, proactive);
    const host = options.host ?? '127.0.0.1';
    const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
      (resolve) => {
        const s = serve(
          { fetch: app.fetch, hostname: host, port: options.port ?? env.OMNICLOUD_PORT },
          (info) => resolve({ server: s, port: info.port }),
        );
      },
    );
    deps.logger.info('agent API listening', { url: `http://${host}:${port}` });
    return {
      url: `http://${host}:${port}`,
      async close() {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        proactive.close();
        await deps.close();
      },
    };
  } catch (err) {
    await deps.close();
    throw err;
  }
}
