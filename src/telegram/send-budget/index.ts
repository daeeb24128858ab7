/**
 * Telegram's flood limits, paced before sending (issue 20): the `SendBudget` seam (a bot's slots:
 * in-process here, shared between workers in `telegram/send-budget/dynamodb.js`, reached by
 * subpath so this barrel loads no AWS SDK), the per-chat pacer and the grammY transformer.
 */
export { createGcra, type Gcra } from './gcra.js';
export { createMemorySendBudget, createMemorySendBudgets, perBot } from './memory.js';
export { createSendPacer, NOW_SLACK_MS, type SendPacer, type SendPacerDeps } from './pacer.js';
export { SendBudgetShortError } from './errors.js';
export {
  CHAT_COUNTED_METHODS,
  SKIP_RETRY_AFTER_MS,
  TYPING_METHOD,
  sendBudgetTransformer,
} from './transformer.js';
export {
  SEND_LIMIT_DEFAULTS,
  botIdOf,
  type BotRef,
  type SendBudget,
  type SendBudgets,
  type SendLimits,
  type SendMode,
} from './types.js';
