import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startApiServer, type ServeHandle } from '../../../src/app/serve.js';
import { parseEnv } from '../../../src/config/env.js';
import { launchBrowser } from './browser.js';

/** The API token of the console world (one tenant, `default`, unless the env says otherwise). */
export const CONSOLE_TOKEN = 'console-e2e-token-3f9a1c7e5b2d8f4a6c0e1b3d5f7a9c2e';

export interface ConsoleWorld {
  /** `http://127.0.0.1:<port>` of `omnicloud serve`. */
  url: string;
  browser: Browser;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The real app as `omnicloud serve` runs it (SQLite storage, the real runner and `claude` binary,
 * the offline demo model) and one Chromium for the file. `env` adds variables (a tenants file…).
 */
export async function startConsoleWorld(env: Record<string, string> = {}): Promise<ConsoleWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'omni-console-'));
  const raw: Record<string, string | undefined> = {
    OMNICLOUD_DATA_DIR: join(dir, 'data'),
    API_AUTH_TOKEN: CONSOLE_TOKEN,
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    ...env,
  };
  let server: ServeHandle | undefined;
  let browser: Browser | undefined;
  try {
    server = await startApiServer(parseEnv(raw), { rawEnv: raw, port: 0 });
    browser = await launchBrowser();
  } catch (err) {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const s = server;
  const b = browser;
  return {
    url: s.url,
    browser: b,
    dataDir: join(dir, 'data'),
    async close() {
      await b.close();
      await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
