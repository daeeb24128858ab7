import { describe, expect, it } from 'vitest';
import type { UsageDay } from '../../usage/index.js';
import { DailyCostChart, DailyTable, MAX_SERIES, chartGeometry, chartSummary, niceMax } from './chart.js';

const ZERO = { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };
const day = (
  date: string,
  models: Array<[string, number, number]>,
  extra = { cost: 0, turns: 0 },
): UsageDay => ({
  date,
  turns: models.reduce((n, m) => n + m[2], 0) + extra.turns,
  costUsd: models.reduce((n, m) => n + m[1], 0) + extra.cost,
  tokens: ZERO,
  models: models.map(([model, costUsd, turns]) => ({ model, costUsd, turns, tokens: ZERO })),
});
const render = (el: unknown): string => String(el);

describe('usage chart geometry', () => {
  it('scales bars to a round maximum: twice the cost is twice the height, stacked by model', () => {
    const g = chartGeometry([
      day('2025-01-01', [['a', 1, 1]]),
      day('2025-01-02', [
        ['a', 1, 1],
        ['b', 1, 2],
      ]),
    ]);
    expect(g.maxUsd).toBe(2);
    const [one, two] = g.bars;
    const h = (bar: typeof one) => (bar?.segments ?? []).reduce((s, x) => s + x.height, 0);
    expect(h(two)).toBeCloseTo(2 * h(one), 6);
    // Stacked: the second segment starts where the first ends.
    expect(two?.segments.map((s) => s.series)).toEqual(['a', 'b']);
    expect((two?.segments[1]?.y ?? 0) + (two?.segments[1]?.height ?? 0)).toBeCloseTo(
      two?.segments[0]?.y ?? -1,
      6,
    );
    expect(g.series).toEqual(['a', 'b']);
    expect(niceMax(0.0123)).toBe(0.02);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(0)).toBe(1);
  });

  it('draws the budget line inside the scale, even above every bar', () => {
    const g = chartGeometry([day('2025-01-01', [['a', 0.5, 1]])], 4);
    expect(g.maxUsd).toBe(5);
    expect(g.budgetY).toBeGreaterThan(0);
    const bar = g.bars[0]?.segments[0];
    expect(g.budgetY).toBeLessThan(bar?.y ?? 0);
    const svg = render(<DailyCostChart days={[day('2025-01-01', [['a', 0.5, 1]])]} dailyBudgetUsd={4} />);
    expect(svg).toMatch(/<line class="budget"[^>]*><title>Daily budget \$4\.00<\/title>/);
    expect(render(<DailyCostChart days={[day('2025-01-01', [])]} />)).not.toContain('class="budget"');
  });

  it('keeps a tiny day visible next to a large budget, without moving the scale', () => {
    const g = chartGeometry(
      [
        day('2025-01-01', [
          ['a', 0.001, 1],
          ['b', 0.001, 1],
        ]),
        day('2025-01-02', [['a', 5, 1]]),
      ],
      5,
    );
    expect(g.maxUsd).toBe(5);
    const tiny = g.bars[0]?.segments ?? [];
    expect(tiny.reduce((s, x) => s + x.height, 0)).toBeCloseTo(3, 6);
    expect(tiny[0]?.height).toBeCloseTo(tiny[1]?.height ?? 0, 6);
    expect(g.bars[1]?.segments[0]?.y).toBeCloseTo(g.budgetY ?? -1, 6);
  });

  it('renders empty data as an empty chart that says so', () => {
    const days = [day('2025-01-01', []), day('2025-01-02', [])];
    const g = chartGeometry(days);
    expect(g.bars.every((b) => b.segments.length === 0)).toBe(true);
    expect(g.maxUsd).toBe(1);
    const svg = render(<DailyCostChart days={days} />);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-label="Cost per day, 1 Jan to 2 Jan: no usage."');
    expect(chartGeometry([]).bars).toEqual([]);
    expect(chartSummary([])).toBe('Cost per day: no days.');
  });

  it(`colours the ${MAX_SERIES} most expensive models and groups the rest, and unattributed cost, as other`, () => {
    const models: Array<[string, number, number]> = Array.from({ length: MAX_SERIES + 2 }, (_, i) => [
      `m${i}`,
      10 - i,
      1,
    ]);
    const g = chartGeometry([day('2025-01-01', models, { cost: 0.5, turns: 1 })]);
    expect(g.series).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(g.hasOther).toBe(true);
    const other = g.bars[0]?.segments.at(-1);
    expect(other).toMatchObject({ series: 'other', index: MAX_SERIES, turns: 3 });
    expect(other?.costUsd).toBeCloseTo(5 + 4 + 0.5, 6);
  });

  it('escapes model names everywhere they appear and shows bidi controls', () => {
    const hostile = '<script>alert(1)</script>"&\u202Egnp.exe';
    const days = [day('2025-01-01', [[hostile, 1, 1]])];
    const html =
      render(<DailyCostChart days={days} dailyBudgetUsd={2} />) + render(<DailyTable days={days} />);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('\u202E');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;[U+202E]gnp.exe');
    // Every bar segment has a hover title with the day, model, cost and turns.
    expect(html).toMatch(
      /<rect class="series-0"[^>]*><title>1 Jan · &lt;script&gt;.*: \$1\.00 \(1 turn\)<\/title><\/rect>/,
    );
  });

  it('uses no inline style and scales by its viewBox', () => {
    const svg = render(<DailyCostChart days={[day('2025-01-01', [['a', 1, 1]])]} dailyBudgetUsd={1} />);
    expect(svg).not.toMatch(/style=/);
    expect(svg).toContain('viewBox="0 0 640 260"');
    expect(svg).not.toMatch(/<svg[^>]* width=/);
  });
});
