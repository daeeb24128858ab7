import type { AgentRunner, TurnResult } from '../agent/types.js';
import { DeliveryDeferredError } from '../core/delivery-deferred.js';
import type { Metrics } from '../core/metrics.js';
import type { UpdateDeduper } from '../telegram/dedupe/index.js';

/**
 * Per-turn metrics around any runner: latency, cost, errors, and persistence errors (history not
 * saved) — the figures the alarms and dashboards read. Dimension: tenant. A `replayed` result (a
 * repeated request answered from the turn ledger) reports cost 0: its turn was counted when it ran.
 * A turn whose reply the outbox deferred is reported when it is deferred, with `RepliesDeferred` 1.
 */
export function withTurnMetrics(runner: AgentRunner, metrics: Metrics): AgentRunner {
  const emit = (tenant: string, result: TurnResult, deferred: boolean): void =>
    metrics.emit(
      {
        TurnLatency: { value: result.duration_ms, unit: 'Milliseconds' },
        TurnCostUsd: { value: result.replayed ? 0 : result.cost_usd, unit: 'None' },
        TurnErrors: { value: result.is_error ? 1 : 0, unit: 'Count' },
        PersistenceErrors: { value: result.error_code === 'history_not_persisted' ? 1 : 0, unit: 'Count' },
        ...(deferred ? { RepliesDeferred: { value: 1, unit: 'Count' as const } } : {}),
      },
      { tenant },
      {
        error_code: result.error_code,
        session_id: result.session_id,
        ...(result.replayed ? { replayed: result.replayed } : {}),
      },
    );
  return {
    ...runner,
    async runTurn(request) {
      // A reply deferred by the outbox ends the call with an error after its turn ran: the result
      // handed to `deliver` is reported then (its cost counted once, with `RepliesDeferred`).
      let handed: TurnResult | undefined;
      const { deliver } = request;
      const observed = deliver
        ? { ...request, deliver: (result: TurnResult) => deliver((handed = result)) }
        : request;
      let result: TurnResult;
      try {
        result = await runner.runTurn(observed);
      } catch (err) {
        if (err instanceof DeliveryDeferredError && handed) emit(request.key.tenant, handed, true);
        throw err;
      }
      emit(request.key.tenant, result, false);
      return result;
    },
    resetConversation: (key) => runner.resetConversation(key),
  };
}

/** Counts Telegram re-deliveries the ingress dropped (`DedupeHits`, dimension tenant). */
export function withDedupeMetrics(deduper: UpdateDeduper, metrics: Metrics): UpdateDeduper {
  return {
    async claim(tenant, updateId) {
      const claimed = await deduper.claim(tenant, updateId);
      if (!claimed) metrics.emit({ DedupeHits: { value: 1, unit: 'Count' } }, { tenant });
      return claimed;
    },
    release: (tenant, updateId) => deduper.release(tenant, updateId),
  };
}
