/**
 * Runner overhead benchmark (issue: "our overhead ≤ 10 %"): the wall time and the agent child's
 * peak RSS of one turn through our runner (lease, conversation map, SQLite session store with
 * verified resume, usage of the explicit child env) versus a bare `query()` with no store, against
 * the same offline model server, in the same run, interleaved, medians.
 *
 * Two shapes: a NEW conversation (first turn) and a RESUMED one (second turn: ours loads the history
 * from the store; bare resumes from the local transcript file written by its first turn).
 *
 *   npx tsx bench/runner.ts [--turns 10]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { prepareWorkspace } from '../src/agent/workspace.js';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { query, type Options } from '@anthropic-ai/claude-agent-sdk';
import { buildChildEnv } from '../src/agent/child-env.js';
import { createAgentRunner } from '../src/agent/runner.js';
import type { TenantAgent } from '../src/agent/profile.js';
import { conversationKey } from '../src/core/keys.js';
import { silentLogger } from '../src/core/logger.js';
import { startModelServer } from '../src/model/index.js';
import { createSqliteStorage } from '../src/sessions/adapters/sqlite/index.js';
import { startRssSampler } from './lib/rss-sampler.js';
import { BARE_PROFILE } from './lib/profiles.js';
import { numberArg, median, round } from './lib/stats.js';

async function main(): Promise<void> {
  const turns = numberArg('turns', 10);
  const dir = await mkdtemp(join(tmpdir(), 'omni-bench-runner-'));
  const model = await startModelServer({ record: false });
  const storage = createSqliteStorage({ dataDir: join(dir, 'data') });
  const limits = { maxRetries: 1, apiTimeoutMs: 30_000, turnTimeoutMs: 120_000, maxTurns: 5 };
  const workspace = await prepareWorkspace(dir);
  const tenant: TenantAgent = { profile: BARE_PROFILE, workspace };
  const runner = createAgentRunner({
    storage,
    tenants: async () => tenant,
    provider: { kind: 'offline', baseUrl: model.url },
    models: {},
    limits,
    path: process.env['PATH'] ?? '/usr/bin:/bin',
    logger: silentLogger,
  });
  // The bare side gets the very same child environment, only no store, lease or map.
  const bareEnv = buildChildEnv({
    provider: { kind: 'offline', baseUrl: model.url },
    models: {},
    limits,
    configDir: join(dir, 'claude-bare'),
    projectDirName: 'default',
    home: workspace.home,
    tmpDir: workspace.tmpDir,
    path: process.env['PATH'] ?? '/usr/bin:/bin',
  });
  const bareOptions = (extra: Partial<Options>): Options => ({
    cwd: workspace.cwd,
    env: bareEnv,
    settingSources: ['project'],
    systemPrompt: { type: 'preset', preset: 'claude_code' },
    permissionMode: 'default',
    maxTurns: limits.maxTurns,
    ...extra,
  });
  const bareTurn = async (prompt: string, resume?: string): Promise<string> => {
    let sessionId = '';
    for await (const m of query({ prompt, options: bareOptions(resume ? { resume } : {}) })) {
      if (m.type === 'result') sessionId = m.session_id;
    }
    return sessionId;
  };
  const measure = async <T>(fn: () => Promise<T>): Promise<{ ms: number; rssMb: number; value: T }> => {
    const sampler = startRssSampler();
    const started = performance.now();
    const value = await fn();
    const ms = performance.now() - started;
    return { ms, rssMb: sampler.stop(), value };
  };

  const rows = {
    oursNew: [] as number[],
    bareNew: [] as number[],
    oursResume: [] as number[],
    bareResume: [] as number[],
  };
  const rss = { ours: [] as number[], bare: [] as number[] };
  // One warm-up of each (page cache, JIT), then interleaved measurements.
  await bareTurn('warm up');
  await runner.runTurn({ key: conversationKey({ tenant: 'default', chat: 'warmup' }), text: 'warm up' });
  for (let i = 0; i < turns; i++) {
    const key = conversationKey({ tenant: 'default', chat: `bench-${i}` });
    const oursFirst = await measure(() => runner.runTurn({ key, text: `first message ${i}` }));
    if (oursFirst.value.is_error) throw new Error(`runner turn failed: ${oursFirst.value.error_message}`);
    const bareFirst = await measure(() => bareTurn(`first message ${i}`));
    const oursSecond = await measure(() => runner.runTurn({ key, text: `second message ${i}` }));
    const bareSecond = await measure(() => bareTurn(`second message ${i}`, bareFirst.value));
    rows.oursNew.push(oursFirst.ms);
    rows.bareNew.push(bareFirst.ms);
    rows.oursResume.push(oursSecond.ms);
    rows.bareResume.push(bareSecond.ms);
    rss.ours.push(oursFirst.rssMb, oursSecond.rssMb);
    rss.bare.push(bareFirst.rssMb, bareSecond.rssMb);
  }
  await model.close();
  await storage.close();
  await rm(dir, { recursive: true, force: true });

  const overhead = (ours: number[], bare: number[]) =>
    round(((median(ours) - median(bare)) / median(bare)) * 100);
  const result = {
    bench: 'runner',
    turns,
    new_ours_ms: round(median(rows.oursNew)),
    new_bare_ms: round(median(rows.bareNew)),
    new_overhead_pct: overhead(rows.oursNew, rows.bareNew),
    resume_ours_ms: round(median(rows.oursResume)),
    resume_bare_ms: round(median(rows.bareResume)),
    resume_overhead_pct: overhead(rows.oursResume, rows.bareResume),
    peak_rss_ours_mb: round(median(rss.ours)),
    peak_rss_bare_mb: round(median(rss.bare)),
    rss_overhead_pct: overhead(rss.ours, rss.bare),
    machine: `${cpus().length}x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
  };
  console.log(JSON.stringify(result));
}

await main();
