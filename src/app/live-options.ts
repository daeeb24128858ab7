import type { AppEnv } from '../config/env.js';
import type { LiveOptions } from '../telegram/worker/live/index.js';

/** The Telegram worker's live-reply options from `TELEGRAM_LIVE_*` (unset: the worker's defaults). */
export function liveOptionsOf(env: AppEnv): LiveOptions {
  return {
    enabled: env.TELEGRAM_LIVE_REPLIES,
    ...(env.TELEGRAM_LIVE_EDIT_MS !== undefined ? { editIntervalMs: env.TELEGRAM_LIVE_EDIT_MS } : {}),
    ...(env.TELEGRAM_LIVE_GROUP_EDIT_MS !== undefined
      ? { groupEditIntervalMs: env.TELEGRAM_LIVE_GROUP_EDIT_MS }
      : {}),
    ...(env.TELEGRAM_LIVE_STALL_MS !== undefined ? { stallNoticeMs: env.TELEGRAM_LIVE_STALL_MS } : {}),
  };
}
