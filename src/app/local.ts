import type { AppEnv } from '../config/env.js';
import { buildDeps, prewarmTenants } from './build-deps.js';
import { runLocalTelegram } from './local-telegram.js';

/**
 * The local bots (`npm start` with TELEGRAM_BOT_TOKEN or a tenants file): every tenant's bot, long
 * polling or webhook, on embedded storage. Resolves with the exit code when the process is asked to
 * stop. Whether to run the bots or the terminal chat is the CLI's choice (`cli/start.ts`).
 */
export async function runLocalBots(env: AppEnv, rawEnv: Record<string, string | undefined>): Promise<number> {
  const app = await buildDeps(env, { rawEnv });
  prewarmTenants(app);
  try {
    return await runLocalTelegram(app);
  } finally {
    await app.close();
  }
}
