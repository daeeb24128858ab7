/**
 * Approvals benchmark (issue 14), same run, interleaved, medians:
 *
 * - **gate overhead**: a turn whose model makes one tool call the policy allows
 *   (`echo`), through the runner with the approval gate (every call asks the in-process PreToolUse
 *   hook over the control channel) versus the same runner without it;
 * - **round trip**: a turn that ends on an approval request (ask), and the decision turn that
 *   resumes the session and runs the call (allow once), in one-shot processes (Lambda) and with
 *   live processes (`npm start`); against a plain turn running the same command allowed.
 *
 *   npx tsx bench/approvals.ts [--turns 10]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentProfile, TenantAgent } from '../src/agent/profile.js';
import { createAgentRunner, type AgentRunnerDeps } from '../src/agent/runner.js';
import type { AgentRunner, TurnResult } from '../src/agent/types.js';
import { createWarmPool } from '../src/agent/warm/pool.js';
import { prepareWorkspace } from '../src/agent/workspace.js';
import { describeCall } from '../src/approvals/describe.js';
import { createToolPolicy } from '../src/approvals/policy.js';
import { conversationKey } from '../src/core/keys.js';
import { silentLogger } from '../src/core/logger.js';
import { startModelServer } from '../src/model/index.js';
import { createSqliteStorage } from '../src/sessions/adapters/sqlite/index.js';
import { BARE_PROFILE } from './lib/profiles.js';
import { median, numberArg, round } from './lib/stats.js';

const bash = (command: string): string => `call tool Bash ${JSON.stringify({ command })}`;

async function main(): Promise<void> {
  const turns = numberArg('turns', 10);
  const dir = await mkdtemp(join(tmpdir(), 'omni-bench-approvals-'));
  const model = await startModelServer({ record: false });
  const storage = createSqliteStorage({ dataDir: join(dir, 'data') });
  const workspace = await prepareWorkspace(dir);
  const gated: AgentProfile = {
    ...BARE_PROFILE,
    approvals: {
      policy: createToolPolicy(
        { allow: ['Bash(echo *)'], ask: [], deny: [], default: 'ask', timeoutMinutes: 30 },
        { allow: [] },
        workspace,
      ),
      describe: (call) => describeCall(call, workspace),
      timeoutMs: 30 * 60_000,
    },
  };
  const deps = (profile: AgentProfile): AgentRunnerDeps => {
    const agent: TenantAgent = { profile, workspace };
    return {
      storage,
      tenants: async () => agent,
      provider: { kind: 'offline', baseUrl: model.url },
      models: {},
      limits: { maxRetries: 1, apiTimeoutMs: 30_000, turnTimeoutMs: 120_000, maxTurns: 5 },
      path: process.env['PATH'] ?? '/usr/bin:/bin',
      logger: silentLogger,
    };
  };
  const withGate = createAgentRunner(deps(gated));
  const withoutGate = createAgentRunner(deps(BARE_PROFILE));
  const pool = createWarmPool({ max: 8, idleMs: 120_000, logger: silentLogger });
  const warmGated = createAgentRunner({ ...deps(gated), warm: pool });

  const timed = async (fn: () => Promise<TurnResult>): Promise<{ ms: number; result: TurnResult }> => {
    const started = performance.now();
    const result = await fn();
    if (result.is_error) throw new Error(`turn failed: ${result.error_message}`);
    return { ms: performance.now() - started, result };
  };
  /** Ask (ends on a request), then allow once (resumes and runs the call). */
  const roundTrip = async (runner: AgentRunner, chat: string): Promise<{ ask: number; decide: number }> => {
    const key = conversationKey({ tenant: 'default', chat });
    await runner.runTurn({ key, text: 'hello' }); // an existing conversation, as in practice
    const ask = await timed(() => runner.runTurn({ key, text: bash(`touch ${chat} && printf done`) }));
    const id = ask.result.pending_approval?.id;
    if (!id) throw new Error('the turn did not ask');
    const decide = await timed(() =>
      runner.runTurn({ key, text: '', approval: { id, decision: 'allow_once', by: 'bench' } }),
    );
    if (!decide.result.response.includes('done')) throw new Error('the call did not run');
    return { ask: ask.ms, decide: decide.ms };
  };

  const rows = {
    allowedGate: [] as number[],
    allowedNoGate: [] as number[],
    askCold: [] as number[],
    decideCold: [] as number[],
    askWarm: [] as number[],
    decideWarm: [] as number[],
  };
  // Warm-ups (page cache, JIT, the pool's first process).
  await roundTrip(withGate, 'warmup-cold');
  await roundTrip(warmGated, 'warmup-warm');
  for (let i = 0; i < turns; i++) {
    const a = conversationKey({ tenant: 'default', chat: `gate-${i}` });
    const b = conversationKey({ tenant: 'default', chat: `nogate-${i}` });
    rows.allowedGate.push((await timed(() => withGate.runTurn({ key: a, text: bash(`echo ${i}`) }))).ms);
    rows.allowedNoGate.push((await timed(() => withoutGate.runTurn({ key: b, text: bash(`echo ${i}`) }))).ms);
    const cold = await roundTrip(withGate, `cold-${i}`);
    rows.askCold.push(cold.ask);
    rows.decideCold.push(cold.decide);
    const warm = await roundTrip(warmGated, `warm-${i}`);
    rows.askWarm.push(warm.ask);
    rows.decideWarm.push(warm.decide);
  }
  pool.close();
  await model.close();
  await storage.close();
  await rm(dir, { recursive: true, force: true });

  const m = (xs: number[]): number => round(median(xs));
  console.log(
    JSON.stringify({
      bench: 'approvals',
      turns,
      allowed_call_turn_gate_ms: m(rows.allowedGate),
      allowed_call_turn_no_gate_ms: m(rows.allowedNoGate),
      gate_overhead_ms: round(median(rows.allowedGate) - median(rows.allowedNoGate)),
      gate_overhead_pct: round(
        ((median(rows.allowedGate) - median(rows.allowedNoGate)) / median(rows.allowedNoGate)) * 100,
      ),
      ask_turn_cold_ms: m(rows.askCold),
      decision_turn_cold_ms: m(rows.decideCold),
      ask_turn_warm_ms: m(rows.askWarm),
      decision_turn_warm_ms: m(rows.decideWarm),
      machine: `${cpus().length}x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    }),
  );
}

await main();
