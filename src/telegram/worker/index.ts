/**
 * The Telegram worker: the queue handler that runs a conversation's queued work and replies
 * (Markdown → MarkdownV2, split at safe boundaries, "typing…" while the turn runs, errors turned
 * into words), plus the interfaces it needs filled by the composition root (`types.ts`). Safe to
 * import anywhere: it loads neither better-sqlite3 nor the AWS SDK.
 */
export { createTelegramWorker, type TelegramWorkerDeps } from './worker.js';
export type { ProactiveStores } from './proactive.js';
export { formatForTelegram, TELEGRAM_TEXT_LIMIT, type TelegramChunk } from './format.js';
export { sendMarkdown, type ReplyTarget } from './reply.js';
export type {
  ConversationControl,
  ConversationUsage,
  PeriodSpend,
  SessionEntry,
  SessionsPage,
  SettingsInfo,
  SwitchResult,
  TranscriptExporter,
  TranscriptFile,
  UsageReader,
} from './types.js';
