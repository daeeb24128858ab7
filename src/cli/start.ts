import { buildDeps } from '../app/build-deps.js';
import { startLocalConsole, withLocalConsoleToken } from '../app/local-console.js';
import type { AppEnv } from '../config/env.js';
import { runChat, type ChatIO } from './chat.js';

/** Whether `start` runs the Telegram bots: a bot token or a tenants file is configured. */
export function startRunsBots(env: AppEnv): boolean {
  return Boolean(env.TELEGRAM_BOT_TOKEN || env.OMNICLOUD_TENANTS_FILE);
}

/**
 * `omnicloud start` (and `npm start`): the Telegram bots when a bot token or a tenants file is set,
 * otherwise the interactive terminal chat, with the agent HTTP API and web console beside it on
 * 127.0.0.1:OMNICLOUD_PORT (its address and a one-click sign-in link under the model line).
 * Embedded storage, no credentials needed. The bots (and grammY) are loaded only when chosen.
 */
export async function runStart(
  env: AppEnv,
  rawEnv: Record<string, string | undefined>,
  io: ChatIO,
): Promise<number> {
  if (startRunsBots(env)) {
    const { runLocalBots } = await import('../app/local.js');
    return runLocalBots(env, rawEnv);
  }
  return runChat([], io, async () => {
    const { env: local, token } = withLocalConsoleToken(env);
    const deps = await buildDeps(local, { rawEnv, defaultLogLevel: 'warn' });
    const web = await startLocalConsole(deps, token);
    return {
      ...deps,
      banner: web.lines,
      async close() {
        await web.close();
        await deps.close();
      },
    };
  });
}
