import type { ShapeReport } from './model.js';

const usd = (x: number): string =>
  x >= 100 ? `$${Math.round(x).toLocaleString('en-US')}` : `$${x.toFixed(x < 1 ? 3 : 2)}`;

/** A plain-text table per shape and variant: the figures docs/scale.md quotes. */
export function formatReports(reports: Array<{ variant: string; report: ShapeReport }>): string {
  const rows: Array<[string, (r: ShapeReport) => string]> = [
    [
      'turns simulated',
      (r) => `${r.turns.toLocaleString('en-US')} in ${(r.simulated_s / 3600).toFixed(1)} h`,
    ],
    [
      'queue delay p50 / p99 / max',
      (r) => `${r.queue_delay_p50_s} / ${r.queue_delay_p99_s} / ${r.queue_delay_max_s} s`,
    ],
    ['slot wait p50 / p99', (r) => `${r.slot_wait_p50_s} / ${r.slot_wait_p99_s} s`],
    [
      'p99 delay: other tenants / flooding tenant',
      (r) => `${r.others_queue_delay_p99_s} / ${r.flood_queue_delay_p99_s} s`,
    ],
    ['p99 slot wait of other tenants', (r) => `${r.others_slot_wait_p99_s} s`],
    ['reply latency p50 / p99', (r) => `${r.reply_latency_p50_s} / ${r.reply_latency_p99_s} s`],
    ['peak in flight / queued', (r) => `${r.peak_in_flight} / ${r.peak_queued}`],
    ['cold starts / peak environments', (r) => `${r.cold_starts} / ${r.peak_environments}`],
    [
      'DynamoDB throttles: write / read / counter item',
      (r) => `${r.dynamo_write_throttles} / ${r.dynamo_read_throttles} / ${r.counter_item_throttles}`,
    ],
    ['hot partitions', (r) => `${r.hot_partitions}`],
    ['turns delayed by throttles / failed', (r) => `${r.turns_delayed_by_throttles} / ${r.turns_failed}`],
    ['Telegram 429: per chat / per bot', (r) => `${r.telegram_429_per_chat} / ${r.telegram_429_per_bot}`],
    ['typing calls / peak turns of one bot', (r) => `${r.telegram_typing_calls} / ${r.peak_bot_in_flight}`],
    ['model 429s / peak model RPM', (r) => `${r.model_429} / ${r.peak_model_rpm}`],
    ['one group, most turns at once', (r) => `${r.max_group_concurrency}`],
    [
      'AWS per 1,000 turns (Lambda+DynamoDB+SQS+S3+ingress)',
      (r) => {
        const c = r.cost_per_1000_turns;
        return `${usd(c.aws)} (${usd(c.lambda)}+${usd(c.dynamo)}+${usd(c.sqs)}+${usd(c.s3)}+${usd(c.ingress)})`;
      },
    ],
    ['model per 1,000 turns', (r) => usd(r.cost_per_1000_turns.model)],
    [
      'per day: turns / AWS / model',
      (r) =>
        `${r.turns_per_day.toLocaleString('en-US')} / ${usd(r.cost_per_day.aws)} / ${usd(r.cost_per_day.model)}`,
    ],
    ['events / wall', (r) => `${r.events.toLocaleString('en-US')} / ${r.wall_ms} ms`],
  ];
  const headers = reports.map(({ variant, report }) => `${report.shape} (${variant})`);
  const width = Math.max(...rows.map(([name]) => name.length));
  const cells = rows.map(([name, f]) => [name.padEnd(width), ...reports.map(({ report }) => f(report))]);
  const colWidths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i + 1] ?? '').length)));
  const line = (c: string[]): string =>
    c.map((x, i) => (i === 0 ? x : x.padEnd(colWidths[i - 1] ?? 0))).join(' │ ');
  return [line([''.padEnd(width), ...headers]), ...cells.map(line)].join('\n');
}
