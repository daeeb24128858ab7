/**
 * A tenant's model-request budget (`budgets.modelRequestsPerMinute` in the tenants file), shared by
 * every container through the claims store: a slot before a turn starts and one before each tool
 * call's follow-up request; while the window is full the turn waits instead of failing on the
 * provider's 429s. docs/scale.md §8.7.
 */
export { MODEL_RATE_LIMITED, ModelRateLimitedError } from './errors.js';
export { createModelRateGate, type ModelRateGate, type RateTurn } from './hook.js';
export {
  createModelRateLimiter,
  MODEL_RATE_KEY_PREFIX,
  MODEL_RATE_MAX_WAIT_MS,
  MODEL_RATE_WINDOW_MS,
  perWindowLimit,
  type ModelRateLimiter,
  type ModelRateLimiterOptions,
  type ModelRateWait,
  type TakenSlot,
  type TakeOptions,
  type WindowCounter,
} from './limiter.js';
