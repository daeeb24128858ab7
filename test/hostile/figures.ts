/**
 * Shared bookkeeping of the hostile-input suites: the fixed seed and run count, an outcome
 * histogram with handler latencies, and a watch for unhandled rejections / uncaught exceptions.
 * Every suite prints one figures block so a CI log shows what was tried and what held.
 */

/** Fixed so a failure reproduces; override with HOSTILE_SEED=<n> (fast-check also prints it). */
export const SEED = Number(process.env['HOSTILE_SEED'] ?? 704_2025);
/** Cases per property (the issue asks for ≥ 1000). */
export const RUNS = Math.max(1000, Number(process.env['HOSTILE_RUNS'] ?? 1000));

export interface Figures {
  readonly suite: string;
  /** One tried case: its outcome label (`200`, `400 invalid_id`, `ConfigError`…) and duration. */
  record(outcome: string, ms: number, tags?: readonly string[]): void;
  /** A case that broke an invariant (the property also fails; this keeps the count). */
  fail(reason: string): void;
  readonly cases: number;
  readonly failures: string[];
  /** Cases per outcome label. */
  histogram(): Record<string, number>;
  /** Cases per input-class tag (`huge`, `deep`, `traversal`…). */
  tags(): Record<string, number>;
  percentile(p: number): number;
  /** Prints the block and returns it (tests print it even when they are about to fail). */
  print(extra?: Record<string, unknown>): string;
}

export function createFigures(suite: string): Figures {
  const outcomes = new Map<string, number>();
  const tagCounts = new Map<string, number>();
  const latencies: number[] = [];
  const failures: string[] = [];
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const sorted = () => Object.fromEntries([...outcomes.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));

  const figures: Figures = {
    suite,
    record(outcome, ms, tags = []) {
      bump(outcomes, outcome);
      for (const tag of tags) bump(tagCounts, tag);
      latencies.push(ms);
    },
    fail(reason) {
      failures.push(reason);
    },
    get cases() {
      return latencies.length;
    },
    failures,
    histogram: sorted,
    tags: () => Object.fromEntries([...tagCounts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
    percentile(p) {
      if (latencies.length === 0) return 0;
      const s = [...latencies].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
    },
    print(extra = {}) {
      const lines = [
        `[hostile] ${suite}`,
        `  seed ${SEED}, cases ${latencies.length}, failures ${failures.length}`,
        `  outcomes ${JSON.stringify(sorted())}`,
        `  input classes ${JSON.stringify(figures.tags())}`,
        `  handler latency p50 ${figures.percentile(50).toFixed(2)} ms, p99 ${figures.percentile(99).toFixed(2)} ms, max ${Math.max(0, ...latencies).toFixed(2)} ms`,
        ...Object.entries(extra).map(([k, v]) => `  ${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`),
        ...failures.slice(0, 5).map((f) => `  failure: ${f.slice(0, 300)}`),
      ];
      const block = lines.join('\n');
      process.stdout.write(`${block}\n`);
      return block;
    },
  };
  return figures;
}

/** Collects unhandled rejections and uncaught exceptions while a suite runs. */
export interface CrashWatch {
  readonly crashes: string[];
  stop(): void;
}

export function watchCrashes(): CrashWatch {
  const crashes: string[] = [];
  const onRejection = (reason: unknown) => crashes.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (err: unknown) => crashes.push(`uncaughtException: ${describe(err)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    crashes,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

function describe(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : String(value);
}

/** Milliseconds since `start` (from `performance.now()`). */
export const since = (start: number): number => performance.now() - start;

/** A body a reply must never contain: a stack frame, a source path, a dependency path. */
export const STACK_TRACE_RE = /\n\s+at\s|node_modules|\.ts:\d+|\.js:\d+:\d+/;

/**
 * Lets the event loop run timers and I/O (vitest's worker RPC among them). A property whose cases
 * only await in-process work (Hono's `app.request`, SQLite, parsers) runs on microtasks alone, and
 * a run longer than vitest's 60 s RPC timeout then fails the whole run with "Timeout calling
 * onTaskUpdate". Every async property of these suites awaits this first in each case.
 */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
