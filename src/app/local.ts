import { runChat } from '../cli/chat.js';
import type { AppEnv } from '../config/env.js';
import { buildDeps } from './build-deps.js';

/**
 * The local main job (`npm start`): the Telegram bots (every tenant's, long polling or webhook) when
 * TELEGRAM_BOT_TOKEN or a tenants file is set, otherwise the interactive terminal chat. Embedded
 * storage, no credentials needed.
 */
export async function runLocal(env: AppEnv, rawEnv: Record<string, string | undefined>): Promise<number> {
  if (env.TELEGRAM_BOT_TOKEN || env.OMNICLOUD_TENANTS_FILE) {
    const { runLocalTelegram } = await import('./local-telegram.js');
    const app = await buildDeps(env, { rawEnv });
    try {
      return await runLocalTelegram(app);
    } finally {
      await app.close();
    }
  }
  const out = (s: string): void => void process.stdout.write(`${s}\n`);
  const err = (s: string): void => void process.stderr.write(`${s}\n`);
  return runChat([], { input: process.stdin, out, err, interactive: Boolean(process.stdin.isTTY) }, () =>
    buildDeps(env, { rawEnv, defaultLogLevel: 'warn' }),
  );
}
