import { runChat } from '../cli/chat.js';
import type { AppEnv } from '../config/env.js';
import { buildDeps } from './build-deps.js';

/**
 * The local main job (`npm start`): a Telegram bot by long polling when TELEGRAM_BOT_TOKEN is set,
 * otherwise the interactive terminal chat. Embedded storage, no credentials needed.
 */
export async function runLocal(env: AppEnv, rawEnv: Record<string, string | undefined>): Promise<number> {
  if (env.TELEGRAM_BOT_TOKEN) {
    const { runLocalTelegram } = await import('./local-telegram.js');
    const app = await buildDeps(env, { rawEnv });
    try {
      return await runLocalTelegram(env, app);
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
