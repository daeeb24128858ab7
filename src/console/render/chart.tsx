import { formatUsd, type UsageDay } from '../../usage/index.js';
import { inertText } from './untrusted.js';

/**
 * The usage page's bar chart as inline SVG, server-rendered: no chart library, no script, no
 * inline style (colours come from `.series-<n>` classes in usage.css, geometry from attributes).
 * One bar per day, stacked by model; the daily budget as a dashed line. Each segment has a
 * `<title>` (hover, and read by screen readers); the `<svg>` is `role="img"` with a summary as its
 * `aria-label`; the same numbers are in a table next to it (`DailyTable`). The viewBox scales the
 * chart to any width (390 px phones included).
 */

/** Models coloured on their own; the rest (and cost no model claims) share the "other" colour. */
export const MAX_SERIES = 5;
export const OTHER = 'other';

const WIDTH = 640;
const HEIGHT = 260;
const PAD = { top: 12, right: 8, bottom: 34, left: 72 };
/** A day with any cost shows at least this tall (viewBox units), however small next to the budget. */
const MIN_BAR = 3;
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;

export interface ChartSegment {
  /** A model id, or `OTHER`. */
  series: string;
  /** 0…MAX_SERIES-1 for a model, MAX_SERIES for other. */
  index: number;
  costUsd: number;
  turns: number;
  y: number;
  height: number;
}

export interface ChartBar {
  date: string;
  x: number;
  width: number;
  costUsd: number;
  turns: number;
  segments: ChartSegment[];
}

export interface ChartGeometry {
  bars: ChartBar[];
  /** The top of the scale in USD (≥ every bar and the budget). */
  maxUsd: number;
  /** The budget line's y, when a daily budget is given. */
  budgetY?: number;
  /** Models with their own colour, most expensive over the period first. */
  series: string[];
  /** Whether any bar has an "other" segment. */
  hasOther: boolean;
}

/** A round top for the scale: 1, 2, 2.5 or 5 × 10^k, at least `value`. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= value) return m * exp;
  return 10 * exp;
}

const yOf = (usd: number, max: number): number => PAD.top + PLOT_H - (usd / max) * PLOT_H;

/** Bars, stacks and the budget line in viewBox units (pure: the unit tests check this). */
export function chartGeometry(days: readonly UsageDay[], dailyBudgetUsd?: number): ChartGeometry {
  const totals = new Map<string, number>();
  for (const d of days) for (const m of d.models) totals.set(m.model, (totals.get(m.model) ?? 0) + m.costUsd);
  const series = [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_SERIES)
    .map(([model]) => model);
  const top = Math.max(0, ...days.map((d) => d.costUsd), dailyBudgetUsd ?? 0);
  const maxUsd = niceMax(top);
  const slot = days.length > 0 ? PLOT_W / days.length : PLOT_W;
  const width = Math.min(40, Math.max(1, slot * 0.7));
  let hasOther = false;

  const bars = days.map((d, i): ChartBar => {
    const parts: Array<Omit<ChartSegment, 'y' | 'height'>> = [];
    let claimed = 0;
    let otherCost = 0;
    let otherTurns = 0;
    for (const m of d.models) {
      claimed += m.costUsd;
      const index = series.indexOf(m.model);
      if (index >= 0) parts.push({ series: m.model, index, costUsd: m.costUsd, turns: m.turns });
      else {
        otherCost += m.costUsd;
        otherTurns += m.turns;
      }
    }
    const unclaimed = d.costUsd - claimed;
    if (unclaimed > 1e-9) otherCost += unclaimed;
    otherTurns += Math.max(0, d.turns - d.models.reduce((n, m) => n + m.turns, 0));
    if (otherCost > 1e-9 || otherTurns > 0) {
      parts.push({ series: OTHER, index: MAX_SERIES, costUsd: otherCost, turns: otherTurns });
      hasOther = true;
    }
    parts.sort((a, b) => a.index - b.index);
    // Stacked from the axis up; a bar shorter than MIN_BAR is stretched to it (its parts in proportion).
    const full = (d.costUsd / maxUsd) * PLOT_H;
    const stretch = full > 0 && full < MIN_BAR ? MIN_BAR / full : 1;
    let bottom = PAD.top + PLOT_H;
    const segments = parts.map((p): ChartSegment => {
      const height = (p.costUsd / maxUsd) * PLOT_H * stretch;
      bottom -= height;
      return { ...p, y: bottom, height };
    });
    return {
      date: d.date,
      x: PAD.left + i * slot + (slot - width) / 2,
      width,
      costUsd: d.costUsd,
      turns: d.turns,
      segments,
    };
  });

  return {
    bars,
    maxUsd,
    ...(dailyBudgetUsd !== undefined ? { budgetY: yOf(dailyBudgetUsd, maxUsd) } : {}),
    series,
    hasOther,
  };
}

/** `Jan 31` from `2025-01-31`. */
export function shortDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Model ids are untrusted text (a provider's answer): bidi controls made visible; '' named. */
export function modelLabel(model: string): string {
  return model === '' ? '(no model)' : model === OTHER ? 'other' : inertText(model);
}

/** The words a screen reader hears for the chart (its `aria-label`). */
export function chartSummary(days: readonly UsageDay[], dailyBudgetUsd?: number): string {
  const first = days[0];
  const last = days[days.length - 1];
  if (!first || !last) return 'Cost per day: no days.';
  const total = days.reduce((s, d) => s + d.costUsd, 0);
  const turns = days.reduce((s, d) => s + d.turns, 0);
  const peak = days.reduce((a, d) => (d.costUsd > a.costUsd ? d : a), first);
  const range = `${shortDate(first.date)} to ${shortDate(last.date)}`;
  const budget =
    dailyBudgetUsd === undefined
      ? ''
      : ` Daily budget ${formatUsd(dailyBudgetUsd)}; ${plural(days.filter((d) => d.costUsd > dailyBudgetUsd).length, 'day')} over it.`;
  if (turns === 0) return `Cost per day, ${range}: no usage.${budget}`;
  return `Cost per day, ${range}: ${formatUsd(total)} in ${plural(turns, 'turn')}; highest ${formatUsd(peak.costUsd)} on ${shortDate(peak.date)}.${budget}`;
}

/** The stacked bar chart of cost per day (see the file comment). */
export function DailyCostChart(props: { days: readonly UsageDay[]; dailyBudgetUsd?: number }) {
  const g = chartGeometry(props.days, props.dailyBudgetUsd);
  const ticks = [0, g.maxUsd / 2, g.maxUsd];
  const labelEvery = Math.max(1, Math.ceil(props.days.length / 6));
  return (
    <figure class="chart">
      <svg
        class="chart-svg"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="xMidYMid meet"
        role="img"
        aria-label={chartSummary(props.days, props.dailyBudgetUsd)}
        xmlns="http://www.w3.org/2000/svg"
      >
        {ticks.map((t) => (
          <g class="tick">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={yOf(t, g.maxUsd)} y2={yOf(t, g.maxUsd)} />
            <text x={PAD.left - 6} y={yOf(t, g.maxUsd) + 4} text-anchor="end">
              {formatUsd(t)}
            </text>
          </g>
        ))}
        {g.bars.map((bar, i) => (
          <g class="bar" data-date={bar.date}>
            {bar.segments.map((s) => (
              <rect
                class={`series-${s.index}`}
                x={bar.x.toFixed(2)}
                y={s.y.toFixed(2)}
                width={bar.width.toFixed(2)}
                height={Math.max(0, s.height).toFixed(2)}
              >
                <title>{`${shortDate(bar.date)} · ${modelLabel(s.series)}: ${formatUsd(s.costUsd)} (${plural(s.turns, 'turn')})`}</title>
              </rect>
            ))}
            {i % labelEvery === 0 || i === g.bars.length - 1 ? (
              <text class="day" x={(bar.x + bar.width / 2).toFixed(2)} y={HEIGHT - 8} text-anchor="middle">
                {shortDate(bar.date)}
              </text>
            ) : null}
          </g>
        ))}
        {g.budgetY !== undefined && props.dailyBudgetUsd !== undefined ? (
          <line
            class="budget"
            x1={PAD.left}
            x2={WIDTH - PAD.right}
            y1={g.budgetY.toFixed(2)}
            y2={g.budgetY.toFixed(2)}
          >
            <title>{`Daily budget ${formatUsd(props.dailyBudgetUsd)}`}</title>
          </line>
        ) : null}
      </svg>
      <figcaption>
        <ul class="legend" aria-label="Models">
          {g.series.map((m, i) => (
            <li>
              <span class={`swatch series-${i}`} aria-hidden="true" />
              {modelLabel(m)}
            </li>
          ))}
          {g.hasOther ? (
            <li>
              <span class={`swatch series-${MAX_SERIES}`} aria-hidden="true" />
              other
            </li>
          ) : null}
          {props.dailyBudgetUsd !== undefined ? (
            <li>
              <span class="swatch budget-swatch" aria-hidden="true" />
              {`daily budget ${formatUsd(props.dailyBudgetUsd)}`}
            </li>
          ) : null}
        </ul>
      </figcaption>
    </figure>
  );
}

/** The chart's numbers as a table (for screen readers and anyone who would rather read). */
export function DailyTable(props: { days: readonly UsageDay[] }) {
  return (
    <table class="figures daily">
      <caption>Cost per day</caption>
      <thead>
        <tr>
          <th scope="col">Day</th>
          <th scope="col">Turns</th>
          <th scope="col">Cost</th>
          <th scope="col">By model</th>
        </tr>
      </thead>
      <tbody>
        {[...props.days].reverse().map((d) => (
          <tr>
            <th scope="row">{d.date}</th>
            <td>{d.turns}</td>
            <td>{formatUsd(d.costUsd)}</td>
            <td>{d.models.map((m) => `${modelLabel(m.model)} ${formatUsd(m.costUsd)}`).join('; ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
