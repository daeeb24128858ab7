import { DAY_MS } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import { ZERO, counterKey, decodeModel, type CounterValues } from './counters.js';
import { InvalidUsageError } from './errors.js';
import { dayKey } from './periods.js';
import type { UsageBackend } from './store.js';
import type { TokenCounts, UsageDay, UsageModelDay } from './types.js';

/** The longest history `UsageStore.daily` reads (day counters are kept for the retention, 400 days). */
export const MAX_HISTORY_DAYS = 90;

/** `days` as a whole number 1–90, else `InvalidUsageError` naming the field. */
export function historyDays(days: unknown): number {
  if (typeof days === 'number' && Number.isSafeInteger(days) && days >= 1 && days <= MAX_HISTORY_DAYS)
    return days;
  throw new InvalidUsageError(
    `[usage] days must be a whole number from 1 to ${MAX_HISTORY_DAYS}, got ${String(days)}`,
  );
}

function tokens(v: CounterValues): TokenCounts {
  return { input: v.input, output: v.output, cacheCreation: v.cacheCreation, cacheRead: v.cacheRead };
}

/**
 * A tenant's last `days` days in two rounds of reads by key: the tenant's day counters (each
 * carrying the set of models its turns ran on), then exactly the per-model day counters those sets
 * name. Days without turns are zero; a set names at most `MAX_MODELS_PER_DAY` models.
 */
export async function readDaily(
  backend: Pick<UsageBackend, 'read'>,
  tenant: TenantId,
  days: number,
  now: number,
): Promise<UsageDay[]> {
  const n = historyDays(days);
  const dates = Array.from({ length: n }, (_, i) => dayKey(now - (n - 1 - i) * DAY_MS));
  const dayKeyOf = (date: string) => counterKey({ kind: 'tenant' }, { window: 'day', key: date });
  const totals = await backend.read(tenant, dates.map(dayKeyOf), now);

  const modelKeys = dates.flatMap((date) =>
    (totals.get(dayKeyOf(date))?.models ?? []).map((segment) => ({
      date,
      segment,
      key: counterKey({ kind: 'model', segment }, { window: 'day', key: date }),
    })),
  );
  const perModel =
    modelKeys.length > 0
      ? await backend.read(
          tenant,
          modelKeys.map((m) => m.key),
          now,
        )
      : new Map();

  return dates.map((date) => {
    const v = totals.get(dayKeyOf(date)) ?? ZERO;
    const models: UsageModelDay[] = modelKeys
      .filter((m) => m.date === date)
      .flatMap((m) => {
        const mv = perModel.get(m.key);
        return mv
          ? [
              {
                model: decodeModel(m.segment),
                turns: mv.turns,
                tokens: tokens(mv),
                costUsd: mv.costMicroUsd / 1_000_000,
              },
            ]
          : [];
      })
      .sort((a, b) => b.costUsd - a.costUsd || b.turns - a.turns || (a.model < b.model ? -1 : 1));
    return { date, turns: v.turns, tokens: tokens(v), costUsd: v.costMicroUsd / 1_000_000, models };
  });
}
