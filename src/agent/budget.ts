import { errorMessage } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { BudgetRefusal, Budgets, UsageStore } from '../usage/index.js';
import type { TurnRequest, TurnResult } from './types.js';
import { usageTurnFromResult } from './usage-turn.js';

/** What the tenants file says about a tenant's turns: its default model, model aliases and budgets. */
export interface TenantTurnPolicy {
  model?: string;
  /** The model aliases a conversation may choose (`/model`): alias → what the SDK is given. */
  models?: Readonly<Record<string, string>>;
  budgets?: Budgets;
  /** The tenant's model-request budget (`budgets.modelRequestsPerMinute`), shared by every container. */
  modelRequestsPerMinute?: number;
}

/** The policy of a tenant (undefined: no default model, no budgets). */
export type TenantPolicyResolver = (tenant: TenantId) => TenantTurnPolicy | undefined;

/** Stable `error_code` of a turn refused by a budget. */
export const BUDGET_EXCEEDED = 'budget_exceeded';

/**
 * Usage accounting around one turn: the budget check before the model is called, and the record
 * after it. Both go through the injected `UsageStore` (SQLite locally, DynamoDB in the cloud).
 */
export interface TurnAccounting {
  /** The refusal when the tenant's or the user's budget is used up; undefined when the turn may run. */
  check(request: TurnRequest, budgets: Budgets | undefined, now: number): Promise<BudgetRefusal | undefined>;
  /**
   * Record a turn that reached the model (a `replayed` result is skipped: its turn was recorded,
   * or lost, with the attempt that ran it — never counted twice). Never throws: the turn already happened and its history
   * is persisted, so failing it now would only make a queue run (and bill) it twice.
   */
  record(request: TurnRequest, result: TurnResult, at: number): Promise<void>;
}

export function createTurnAccounting(deps: { usage: UsageStore; logger: Logger }): TurnAccounting {
  return {
    async check(request, budgets, now) {
      if (!budgets) return undefined;
      const decision = await deps.usage.checkBudget(
        { tenant: request.key.tenant, ...(request.userId ? { userId: request.userId } : {}) },
        budgets,
        now,
      );
      return decision.allowed ? undefined : decision;
    },
    async record(request, result, at) {
      if (result.replayed !== undefined || !reachedModel(result)) return;
      try {
        await deps.usage.record(
          usageTurnFromResult(request.key, result, {
            ...(request.userId ? { userId: request.userId } : {}),
            at,
          }),
        );
      } catch (err) {
        deps.logger.error('usage could not be recorded; the turn is not counted against budgets', {
          error: errorMessage(err),
          session_id: result.session_id,
          cost_usd: result.cost_usd,
        });
      }
    },
  };
}

/** A turn reached the model when the model answered (a model id) or anything was billed. */
export function reachedModel(result: TurnResult): boolean {
  const u = result.usage;
  const tokens = u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
  return result.model !== null || result.cost_usd > 0 || tokens > 0;
}

/** The result of a refused turn: nothing ran, nothing was billed, the message says why and until when. */
export function budgetRefusedResult(
  refusal: BudgetRefusal,
  ctx: { sessionId: string; durationMs: number },
): TurnResult {
  return {
    response: '',
    session_id: ctx.sessionId,
    cost_usd: 0,
    num_turns: 0,
    is_error: true,
    error_message: refusal.reason,
    error_code: BUDGET_EXCEEDED,
    usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    model: null,
    duration_ms: ctx.durationMs,
  };
}
