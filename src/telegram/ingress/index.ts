/**
 * The Telegram ingress: the grammY middleware that turns updates into queued work (dedupe →
 * membership → allowlist → place → commands → enqueue) or stops a running turn at once (`/stop`,
 * the Stop button), the webhook route with its API Gateway
 * Lambda adapter, and long polling. It never runs the agent. Safe to import anywhere: it loads
 * neither better-sqlite3 nor the AWS SDK (dedupe drivers are injected).
 */
export { createIngress, type IngressDeps } from './ingress.js';
export { createIngressBot, type IngressBotOptions } from './ingress-bot.js';
export {
  mountTelegramWebhook,
  TELEGRAM_WEBHOOK_PATH,
  type TelegramWebhookOptions,
  type WebhookTenant,
} from './webhook.js';
export { createTelegramWebhookLambda, type ApiGatewayV2Event, type ApiGatewayV2Result } from './lambda.js';
export { startTelegramPolling, ALLOWED_UPDATES, type PollingHandle } from './polling.js';
export { parseStopData, stopButtonData, type TurnStops } from './stops.js';
export type { TelegramSchedules } from './schedule/index.js';
