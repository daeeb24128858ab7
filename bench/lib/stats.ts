/** Small helpers the benchmarks share: command-line numbers and order statistics. */

/** `--name <number>` from the command line, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The median; the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The nearest-rank `q` quantile (`NaN` for no samples). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
}

export const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

/** p50, p99, min and max of samples, rounded to 0.1 (a benchmark's usual summary). */
export function spread(xs: readonly number[]): { p50: number; p99: number; min: number; max: number } {
  return {
    p50: round(median(xs)),
    p99: round(quantile(xs, 0.99)),
    min: round(Math.min(...xs)),
    max: round(Math.max(...xs)),
  };
}
