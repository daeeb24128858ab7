import { Hono } from 'hono';
import type { TenantId } from '../../core/ids.js';
import { formatUsd, type BudgetLimit, type UsageDay, type UsageTotals } from '../../usage/index.js';
import { Page } from '../layout.js';
import { DailyCostChart, DailyTable, modelLabel } from '../render/chart.js';
import type { ConsoleDeps, ConsoleEnv } from '../types.js';

/** Days the page charts (the API serves up to 90). */
export const CHART_DAYS = 30;

const tokensOf = (t: UsageTotals): number =>
  t.tokens.input + t.tokens.output + t.tokens.cacheCreation + t.tokens.cacheRead;

/** A period's figures: cost, turns, tokens, and its budget as a meter when there is one. */
function Figure(props: { id: string; label: string; totals: UsageTotals; limitUsd?: number | undefined }) {
  const { totals, limitUsd } = props;
  const meterId = `${props.id}-meter`;
  return (
    <section class="figure" aria-labelledby={`${props.id}-label`}>
      <h2 id={`${props.id}-label`}>{props.label}</h2>
      <p class="amount" data-figure={props.id}>
        {formatUsd(totals.costUsd)}
      </p>
      <p class="detail">
        <span data-turns={props.id}>{totals.turns}</span> {totals.turns === 1 ? 'turn' : 'turns'} ·{' '}
        {tokensOf(totals).toLocaleString('en-US')} tokens
      </p>
      {limitUsd !== undefined ? (
        <p class="budget">
          <label for={meterId}>{`${formatUsd(totals.costUsd)} of ${formatUsd(limitUsd)} budget`}</label>
          <meter
            id={meterId}
            min={0}
            max={limitUsd > 0 ? limitUsd : 1}
            low={(limitUsd > 0 ? limitUsd : 1) * 0.8}
            high={(limitUsd > 0 ? limitUsd : 1) * 0.95}
            optimum={0}
            value={Math.min(totals.costUsd, limitUsd > 0 ? limitUsd : 1)}
            aria-label={`${props.label}: ${formatUsd(totals.costUsd)} spent of a ${formatUsd(limitUsd)} budget`}
          />
        </p>
      ) : null}
    </section>
  );
}

interface ModelRow {
  model: string;
  turns: number;
  costUsd: number;
}

/** Per-model totals over the charted days, most expensive first. */
export function modelRows(days: readonly UsageDay[]): ModelRow[] {
  const rows = new Map<string, ModelRow>();
  for (const d of days) {
    for (const m of d.models) {
      const row = rows.get(m.model) ?? { model: m.model, turns: 0, costUsd: 0 };
      row.turns += m.turns;
      row.costUsd += m.costUsd;
      rows.set(m.model, row);
    }
  }
  return [...rows.values()].sort((a, b) => b.costUsd - a.costUsd || b.turns - a.turns);
}

function ModelTable(props: { days: readonly UsageDay[] }) {
  const rows = modelRows(props.days);
  const total = props.days.reduce((s, d) => s + d.costUsd, 0);
  const turns = props.days.reduce((s, d) => s + d.turns, 0);
  const claimed = rows.reduce((s, r) => s + r.costUsd, 0);
  const claimedTurns = rows.reduce((s, r) => s + r.turns, 0);
  const share = (usd: number) => (total > 0 ? `${Math.round((usd / total) * 100)} %` : '–');
  return (
    <table class="figures models">
      <caption>{`By model, last ${props.days.length} days`}</caption>
      <thead>
        <tr>
          <th scope="col">Model</th>
          <th scope="col">Turns</th>
          <th scope="col">Cost</th>
          <th scope="col">Share</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && turns === 0 ? (
          <tr>
            <td colspan={4}>No turns in these days.</td>
          </tr>
        ) : null}
        {rows.map((r) => (
          <tr data-model={r.model}>
            <th scope="row" class="model">
              {modelLabel(r.model)}
            </th>
            <td>{r.turns}</td>
            <td>{formatUsd(r.costUsd)}</td>
            <td>{share(r.costUsd)}</td>
          </tr>
        ))}
        {turns > claimedTurns || total - claimed > 1e-9 ? (
          <tr>
            <th scope="row">other (not split by model)</th>
            <td>{turns - claimedTurns}</td>
            <td>{formatUsd(Math.max(0, total - claimed))}</td>
            <td>{share(Math.max(0, total - claimed))}</td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}

async function usageBody(deps: ConsoleDeps, tenant: TenantId) {
  const usage = deps.usage;
  if (!usage) return <p>This deployment does not record usage.</p>;
  const now = deps.clock.now();
  const [day, month, all, days] = await Promise.all([
    usage.summary({ tenant }, 'day', now),
    usage.summary({ tenant }, 'month', now),
    usage.summary({ tenant }, 'all', now),
    usage.daily(tenant, CHART_DAYS, now),
  ]);
  const limit: BudgetLimit = deps.budgets(tenant)?.tenant ?? {};
  return (
    <>
      <div class="figures-row">
        <Figure id="today" label="Today (UTC)" totals={day} limitUsd={limit.dayUsd} />
        <Figure id="month" label="This month" totals={month} limitUsd={limit.monthUsd} />
        <Figure id="all" label="All retained" totals={all} />
      </div>
      {limit.dayUsd === undefined && limit.monthUsd === undefined ? (
        <p class="note">This tenant has no budget (set one under budgets in the tenants file).</p>
      ) : null}
      <section aria-labelledby="chart-h">
        <h2 id="chart-h">{`Cost per day, last ${CHART_DAYS} days`}</h2>
        <DailyCostChart
          days={days}
          {...(limit.dayUsd !== undefined ? { dailyBudgetUsd: limit.dayUsd } : {})}
        />
        <details>
          <summary>The chart as a table</summary>
          <div class="table-wrap">
            <DailyTable days={days} />
          </div>
        </details>
      </section>
      <section aria-labelledby="models-h">
        <h2 id="models-h">Models</h2>
        <div class="table-wrap">
          <ModelTable days={days} />
        </div>
      </section>
    </>
  );
}

/** The usage page of a tenant (`/console/t/:tenant/usage`): figures, budget meters, the daily chart, models. */
export function usagePages(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/usage', async (c) => {
    const tenant = c.get('tenant');
    const body = await usageBody(deps, tenant);
    return c.html(
      <Page title="Usage" page="usage" tenant={tenant} csrfToken={c.get('session').csrfToken}>
        <h1>Usage</h1>
        {body}
      </Page>,
    );
  });
  return app;
}
