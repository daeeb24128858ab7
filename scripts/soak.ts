/**
 * The longer local reliability run (`npm run soak`): the test/reliability suites again and again
 * with larger counts, until the time budget is used, then one summary of every figure block.
 *
 *   npm run soak -- --minutes 10 [--suite concurrency|duplicates|crashes|storage-faults]
 *
 * Counts per round (override any with RELIABILITY_<NAME> in the environment): 10 conversations ×
 * 5 messages on both queues, 40 kills, 10 × 5 messages under ~20 % storage faults. Each round runs
 * with fresh random seeds (printed in the figures, replayable with RELIABILITY_CRASH_SEED /
 * RELIABILITY_FAULT_SEED). A round that is started always finishes; no round starts after the
 * budget. Exit code 1 if any round failed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface FigureLine {
  suite: string;
  counts: Record<string, number>;
  latencies: Record<string, { n: number; p50: number; p99: number; max: number }>;
  notes?: string[];
  load1?: number;
}

const SOAK_COUNTS: Record<string, string> = {
  RELIABILITY_CONVERSATIONS: '10',
  RELIABILITY_MEMORY_PER_CONV: '5',
  RELIABILITY_SQS_PER_CONV: '5',
  RELIABILITY_DUP_CONVERSATIONS: '6',
  RELIABILITY_DUP_PER_CONV: '4',
  RELIABILITY_REDELIVERY_MESSAGES: '5',
  RELIABILITY_KILLS: '40',
  RELIABILITY_FAULT_CONVERSATIONS: '10',
  RELIABILITY_FAULT_PER_CONV: '5',
};

function runVitest(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...files], {
      stdio: 'inherit',
      env,
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { minutes: { type: 'string', default: '10' }, suite: { type: 'string', multiple: true } },
  });
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  const suites = values.suite?.length
    ? values.suite.map((s) => `test/reliability/${s}.test.ts`)
    : ['test/reliability'];
  const dir = await mkdtemp(join(tmpdir(), 'omni-soak-'));
  const figuresFile = join(dir, 'figures.jsonl');
  const deadline = Date.now() + minutes * 60_000;
  const started = Date.now();
  let rounds = 0;
  let failedRounds = 0;
  try {
    while (Date.now() < deadline) {
      rounds++;
      process.stdout.write(
        `\n##### soak round ${rounds} (${Math.round((deadline - Date.now()) / 1000)} s left)\n`,
      );
      const env: NodeJS.ProcessEnv = {
        ...SOAK_COUNTS,
        ...process.env,
        RELIABILITY_FIGURES_FILE: figuresFile,
      };
      if ((await runVitest(suites, env)) !== 0) failedRounds++;
    }
    const lines = (await readFile(figuresFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as FigureLine);
    process.stdout.write(`\n${summarize(lines, rounds, failedRounds, Date.now() - started)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.exitCode = failedRounds > 0 ? 1 : 0;
}

/** Sum the counts of each suite over all rounds; latencies: n summed, worst p50/p99/max shown. */
function summarize(lines: FigureLine[], rounds: number, failedRounds: number, ms: number): string {
  const bySuite = new Map<string, FigureLine[]>();
  for (const line of lines) {
    const name = line.suite.replace(/\(seed \d+\)/, '').trim();
    bySuite.set(name, [...(bySuite.get(name) ?? []), line]);
  }
  const out = [
    '=== soak summary ===',
    `rounds ${rounds} (${failedRounds} failed), ${(ms / 60_000).toFixed(1)} min`,
  ];
  for (const [suite, runs] of bySuite) {
    out.push(`-- ${suite} (${runs.length} runs)`);
    const counts = new Map<string, number>();
    for (const run of runs)
      for (const [k, v] of Object.entries(run.counts))
        if (k !== 'seed') counts.set(k, (counts.get(k) ?? 0) + v);
    for (const [k, v] of counts) out.push(`   ${k}: ${v}`);
    const latencyNames = new Set(runs.flatMap((r) => Object.keys(r.latencies)));
    for (const name of latencyNames) {
      const xs = runs.map((r) => r.latencies[name]).filter((x) => x !== undefined);
      const n = xs.reduce((a, x) => a + x.n, 0);
      const worst = (f: (x: { p50: number; p99: number; max: number }) => number): number =>
        Math.round(Math.max(0, ...xs.map(f)));
      out.push(
        `   ${name}: n=${n}, worst run p50=${worst((x) => x.p50)} ms p99=${worst((x) => x.p99)} ms max=${worst((x) => x.max)} ms`,
      );
    }
  }
  return out.join('\n');
}

await main();
