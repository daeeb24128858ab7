/**
 * Scale simulation: `npm run bench -- scale [--shape team|platform|saas] [--seed 1] [--fixes]`.
 * A discrete-event simulation of a synthetic day per deployment shape (docs/scale.md): the
 * per-conversation FIFO, Lambda concurrency and cold starts, DynamoDB hot keys, Telegram and model
 * rate limits, and cost — driven by the per-turn figures we measured. "today" is the code as it is;
 * with `--fixes` each shape also runs as the release the plan started from ("before": every item
 * under the tenant's key, no send budget, replies held by the worker) and with the fix still
 * proposed (fair share on Lambda).
 * Deterministic for a seed. Ends with one JSON line.
 */
import { parseArgs } from 'node:util';
import { runShape, type ShapeReport } from './scale/model.js';
import { formatReports } from './scale/report.js';
import { BEFORE, PROPOSED, SHAPES, shapeByName } from './scale/shapes.js';

function main(): void {
  const { values } = parseArgs({
    options: {
      shape: { type: 'string' },
      seed: { type: 'string', default: '1' },
      fixes: { type: 'boolean', default: false },
    },
  });
  const seed = Number(values.seed);
  const shapes = values.shape ? [shapeByName(values.shape)] : SHAPES;
  const reports: Array<{ variant: string; report: ShapeReport }> = [];
  for (const shape of shapes) {
    if (!shape)
      throw new Error(`[bench:scale] unknown shape "${values.shape}"; choose team, platform or saas`);
    process.stderr.write(`simulating ${shape.name}: ${shape.description}\n`);
    if (values.fixes) reports.push({ variant: 'before', report: runShape(shape, BEFORE, seed) });
    reports.push({ variant: 'today', report: runShape(shape, {}, seed) });
    if (values.fixes) reports.push({ variant: 'proposed', report: runShape(shape, PROPOSED, seed) });
  }
  process.stdout.write(`${formatReports(reports)}\n`);
  const summary = Object.fromEntries(
    reports.map(({ variant, report: r }) => [
      `${r.shape}${variant === 'today' ? '' : `_${variant}`}`,
      {
        turns: r.turns,
        queue_delay_p50_s: r.queue_delay_p50_s,
        queue_delay_p99_s: r.queue_delay_p99_s,
        slot_wait_p99_s: r.slot_wait_p99_s,
        others_queue_delay_p99_s: r.others_queue_delay_p99_s,
        others_slot_wait_p99_s: r.others_slot_wait_p99_s,
        turns_failed: r.turns_failed,
        dynamo_write_throttles: r.dynamo_write_throttles,
        counter_item_throttles: r.counter_item_throttles,
        telegram_429: r.telegram_429_per_chat + r.telegram_429_per_bot,
        model_429: r.model_429,
        aws_usd_per_1000_turns: r.cost_per_1000_turns.aws,
        model_usd_per_1000_turns: r.cost_per_1000_turns.model,
        aws_usd_per_day: r.cost_per_day.aws,
        model_usd_per_day: r.cost_per_day.model,
      },
    ]),
  );
  process.stdout.write(
    `${JSON.stringify({ bench: 'scale', seed, wall_ms: reports.reduce((n, r) => n + r.report.wall_ms, 0), ...summary })}\n`,
  );
}

main();
