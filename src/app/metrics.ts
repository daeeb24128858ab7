import type { AgentRunner } from '../agent/types.js';
import type { Metrics } from '../core/metrics.js';
import type { UpdateDeduper } from '../telegram/dedupe/index.js';

/**
 * Per-turn metrics around any runner: latency, cost, errors, and persistence errors (history not
 * saved) — the figures the alarms and dashboards read. Dimension: tenant. A `replayed` result (a
 * repeated request answered from the turn ledger) reports cost 0: its turn was counted when it ran.
 */
export function withTurnMetrics(runner: AgentRunner, metrics: Metrics): AgentRunner {
  return {
    ...runner,
    async runTurn(request) {
      const result = await runner.runTurn(request);
      metrics.emit(
        {
          TurnLatency: { value: result.duration_ms, unit: 'Milliseconds' },
          TurnCostUsd: { value: result.replayed ? 0 : result.cost_usd, unit: 'None' },
          TurnErrors: { value: result.is_error ? 1 : 0, unit: 'Count' },
          PersistenceErrors: { value: result.error_code === 'history_not_persisted' ? 1 : 0, unit: 'Count' },
        },
        { tenant: request.key.tenant },
        {
          error_code: result.error_code,
          session_id: result.session_id,
          ...(result.replayed ? { replayed: result.replayed } : {}),
        },
      );
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
