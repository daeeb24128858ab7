import { InvalidUsageError } from './errors.js';
import { dayEnd, monthEnd } from './periods.js';
import type { BudgetDecision, BudgetRefusal, Budgets } from './types.js';

/** Which limits need reading: only scopes/periods that have a limit configured. */
export function limitsToCheck(
  budgets: Budgets | undefined,
  hasUser: boolean,
): Array<{ scope: 'tenant' | 'user'; period: 'day' | 'month'; limitUsd: number }> {
  const out: Array<{ scope: 'tenant' | 'user'; period: 'day' | 'month'; limitUsd: number }> = [];
  for (const scope of ['user', 'tenant'] as const) {
    if (scope === 'user' && !hasUser) continue;
    const limit = budgets?.[scope];
    for (const period of ['day', 'month'] as const) {
      const value = period === 'day' ? limit?.dayUsd : limit?.monthUsd;
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new InvalidUsageError(`[usage] ${scope} ${period} budget must be a non-negative number of USD`);
      }
      out.push({ scope, period, limitUsd: value });
    }
  }
  return out;
}

/**
 * Decide a budget check from current spending. A limit blocks when it is used up
 * (`spent ≥ limit`) or when `spent + estimate` would exceed it. Among blocking limits the one that
 * resets last is reported: before then no turn can run anyway.
 */
export function decideBudget(
  limits: ReturnType<typeof limitsToCheck>,
  spent: (scope: 'tenant' | 'user', period: 'day' | 'month') => number,
  estimateUsd: number,
  now: number,
  tenantLabel: string,
): BudgetDecision {
  let worst: BudgetRefusal | undefined;
  for (const { scope, period, limitUsd } of limits) {
    const spentUsd = spent(scope, period);
    const usedUp = spentUsd >= limitUsd;
    if (!usedUp && spentUsd + estimateUsd <= limitUsd) continue;
    const resetsAt = period === 'day' ? dayEnd(now) : monthEnd(now);
    if (worst && worst.resetsAt >= resetsAt) continue;
    worst = {
      allowed: false,
      scope,
      period,
      limitUsd,
      spentUsd,
      resetsAt,
      reason: refusalMessage(
        { scope, period, limitUsd, spentUsd, resetsAt, usedUp, estimateUsd },
        now,
        tenantLabel,
      ),
    };
  }
  return worst ?? { allowed: true };
}

interface RefusalFacts {
  scope: 'tenant' | 'user';
  period: 'day' | 'month';
  limitUsd: number;
  spentUsd: number;
  resetsAt: number;
  usedUp: boolean;
  estimateUsd: number;
}

function refusalMessage(f: RefusalFacts, now: number, tenantLabel: string): string {
  const which = f.period === 'day' ? 'daily' : 'monthly';
  const whose = f.scope === 'user' ? `Your ${which} budget` : `The ${which} budget of ${tenantLabel}`;
  const when = f.period === 'day' ? 'today' : 'this month';
  const spent = `${formatUsd(f.spentUsd)} of ${formatUsd(f.limitUsd)} spent ${when}`;
  const state = f.usedUp
    ? `${whose} is used up (${spent}).`
    : `${whose} would be exceeded (${spent}; a turn costs about ${formatUsd(f.estimateUsd)}).`;
  return `${state} It resets ${formatReset(f.resetsAt, f.period)} (in ${formatDuration(f.resetsAt - now)}).`;
}

/** `$5.00`, `$0.0042` (small amounts keep 4 decimals so they do not read as zero). */
export function formatUsd(usd: number): string {
  if (usd !== 0 && Math.abs(usd) < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function formatReset(at: number, period: 'day' | 'month'): string {
  if (period === 'day') return 'at 00:00 UTC';
  const d = new Date(at);
  return `on ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, 00:00 UTC`;
}

/** `5 days`, `3 h 12 min`, `7 min` (at least 1 min). */
export function formatDuration(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  if (minutes >= 48 * 60) return `${Math.floor(minutes / (24 * 60))} days`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
