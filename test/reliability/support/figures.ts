import { cpus, loadavg } from 'node:os';

/**
 * Figures every reliability suite prints: counts (cases tried, failures, retries…) and latency
 * percentiles, as one block that is easy to find in CI output (`=== reliability: <suite> ===`).
 * `RELIABILITY_FIGURES_FILE` (set by `npm run soak`) also receives each block as one JSON line.
 */
export interface Figures {
  suite: string;
  counts: Record<string, number>;
  /** Latency samples in ms, by name; printed as n / p50 / p99 / max. */
  latencies?: Record<string, number[]>;
  notes?: string[];
}

/** Nearest-rank percentile of `samples` (0 for none). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function formatFigures(f: Figures): string {
  const lines = [`=== reliability: ${f.suite} ===`];
  const width = Math.max(
    0,
    ...Object.keys(f.counts).map((k) => k.length),
    ...Object.keys(f.latencies ?? {}).map((k) => k.length),
  );
  for (const [name, value] of Object.entries(f.counts)) lines.push(`  ${name.padEnd(width)}  ${value}`);
  for (const [name, samples] of Object.entries(f.latencies ?? {})) {
    const ms = (n: number): string => `${Math.round(n)} ms`;
    lines.push(
      `  ${name.padEnd(width)}  n=${samples.length} p50=${ms(percentile(samples, 50))} ` +
        `p99=${ms(percentile(samples, 99))} max=${ms(percentile(samples, 100))}`,
    );
  }
  for (const note of f.notes ?? []) lines.push(`  note: ${note}`);
  const load = loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  lines.push(`  machine: ${cpus().length} cpu, node ${process.version}, load ${load}`);
  lines.push('='.repeat(lines[0]?.length ?? 3));
  return lines.join('\n');
}

/** Print the block (stdout, so vitest shows it) and append it to the soak figures file if set. */
export async function printFigures(f: Figures): Promise<void> {
  process.stdout.write(`\n${formatFigures(f)}\n`);
  const file = process.env['RELIABILITY_FIGURES_FILE'];
  if (file) {
    const { appendFile } = await import('node:fs/promises');
    const summary = {
      ...f,
      latencies: Object.fromEntries(
        Object.entries(f.latencies ?? {}).map(([k, s]) => [
          k,
          { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: percentile(s, 100) },
        ]),
      ),
      at: new Date().toISOString(),
      load1: loadavg()[0],
    };
    await appendFile(file, `${JSON.stringify(summary)}\n`);
  }
}

/**
 * Counts from the environment so `npm run soak` can scale the same suites up:
 * `RELIABILITY_<NAME>` (e.g. `RELIABILITY_SQS_TURNS=50`), else the CI default.
 */
export function scaled(name: string, ciDefault: number): number {
  const raw = process.env[`RELIABILITY_${name}`];
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(value) && value > 0 ? value : ciDefault;
}
