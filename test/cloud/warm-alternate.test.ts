import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantAgent } from '../../src/agent/profile.js';
import { createAgentRunner } from '../../src/agent/runner.js';
import type { AgentRunner } from '../../src/agent/types.js';
import { createWarmPool, type WarmPool } from '../../src/agent/warm/pool.js';
import { prepareWorkspace } from '../../src/agent/workspace.js';
import { conversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { startModelServer, userTexts, type ModelServer } from '../../src/model/index.js';
import { PLAIN_PROFILE } from '../support/agent-harness.js';
import { offlineRunnerDeps } from '../support/runner-deps.js';
import { isRunning, waitUntil } from '../support/child-processes.js';
import { useCloudWorlds, type CloudWorld } from '../support/cloud-world.js';

/**
 * Two workers ("containers") with warm pools take turns on one conversation through the cloud
 * store (fauxqs S3 + DynamoDB Local). Each keeps its live process between its turns, so each time
 * the other worker has answered in between, its process is stale: it must be closed and the turn
 * resumed from the store, or the model would miss the other worker's turn.
 */
const { world } = useCloudWorlds();
let model: ModelServer;
const dirs: string[] = [];

beforeAll(async () => {
  model = await startModelServer();
});
afterAll(async () => {
  await model?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Worker {
  runner: AgentRunner;
  pool: WarmPool;
}

async function worker(w: CloudWorld, name: string): Promise<Worker> {
  const dir = await mkdtemp(join(tmpdir(), `omni-warm-${name}-`));
  dirs.push(dir);
  const agent: TenantAgent = { profile: PLAIN_PROFILE, workspace: await prepareWorkspace(dir) };
  const pool = createWarmPool({ max: 4, idleMs: 60_000, logger: silentLogger });
  const runner = createAgentRunner({
    ...offlineRunnerDeps(model.url, w.container({ owner: name }), async () => agent),
    warm: pool,
  });
  return { runner, pool };
}

describe('warm conversations across two workers (cloud store)', () => {
  it('alternating workers: every turn sees every earlier message exactly once', async () => {
    const w = await world();
    const [a, b] = await Promise.all([worker(w, 'worker-a'), worker(w, 'worker-b')]);
    try {
      const key = conversationKey({ tenant: 'acme', chat: 'shared' });
      const plan: Array<[Worker, string]> = [
        [a, 'm1 on a'],
        [b, 'm2 on b'],
        [a, 'm3 on a'],
        [a, 'm4 on a again'],
        [b, 'm5 on b'],
        [a, 'm6 on a'],
      ];
      const sent: string[] = [];
      let session: string | undefined;
      for (const [i, [who, text]] of plan.entries()) {
        const result = await who.runner.runTurn({ key, text, requestId: `tg:${i + 1}` });
        expect(result.is_error, result.error_message ?? '').toBe(false);
        session ??= result.session_id;
        expect(result.session_id).toBe(session);
        sent.push(text);
        const last = model.requests.at(-1);
        expect(last && userTexts(last)).toEqual(sent);
      }
      // a: m1 starts a process; m3 finds it stale (b wrote m2) and starts another; m4 reuses it;
      // m6 finds it stale again. b: m2 starts one, m5 finds it stale (a wrote m3 and m4).
      expect(a.pool.stats()).toMatchObject({ hits: 1, misses: { stale: 2 } });
      expect(b.pool.stats()).toMatchObject({ hits: 0, misses: { stale: 1 } });
    } finally {
      const pids = [...a.pool.pids(), ...b.pool.pids()];
      a.pool.close();
      b.pool.close();
      await waitUntil(() => pids.every((pid) => !isRunning(pid)), 5_000, 'every child to exit');
    }
  });
});
