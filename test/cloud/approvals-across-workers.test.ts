import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProfile, TenantAgent } from '../../src/agent/profile.js';
import { createAgentRunner } from '../../src/agent/runner.js';
import type { AgentRunner } from '../../src/agent/types.js';
import { createWarmPool, type WarmPool } from '../../src/agent/warm/pool.js';
import { prepareWorkspace } from '../../src/agent/workspace.js';
import { describeCall } from '../../src/approvals/describe.js';
import { createToolPolicy } from '../../src/approvals/policy.js';
import { conversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { startModelServer, userTexts, type ModelServer } from '../../src/model/index.js';
import { PLAIN_PROFILE } from '../support/agent-harness.js';
import { offlineRunnerDeps } from '../support/runner-deps.js';
import { useCloudWorlds, type CloudWorld } from '../support/cloud-world.js';

/**
 * An approval asked on one worker ("container") and decided on another, through the cloud store
 * (fauxqs S3 + DynamoDB Local): the asking worker is gone (its pool closed, as after a restart)
 * when the tap arrives; the other resumes the session from the store and runs the call.
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

async function worker(
  w: CloudWorld,
  name: string,
): Promise<{ runner: AgentRunner; pool: WarmPool; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), `omni-approve-${name}-`));
  dirs.push(dir);
  const workspace = await prepareWorkspace(dir);
  const profile: AgentProfile = {
    ...PLAIN_PROFILE,
    approvals: {
      policy: createToolPolicy(
        { allow: [], ask: [], deny: [], default: 'ask', timeoutMinutes: 30 },
        { allow: [] },
        workspace,
      ),
      describe: (call) => describeCall(call, workspace),
      timeoutMs: 30 * 60_000,
    },
  };
  const agent: TenantAgent = { profile, workspace };
  const pool = createWarmPool({ max: 4, idleMs: 60_000, logger: silentLogger });
  const runner = createAgentRunner({
    ...offlineRunnerDeps(model.url, w.container({ owner: name }), async () => agent),
    clock: { now: () => w.clock.now() },
    warm: pool,
  });
  return { runner, pool, dir };
}

describe('approvals across workers (cloud store)', () => {
  it('asked on worker A, which then restarts; decided on worker B; the restarted A continues the session', async () => {
    const w = await world();
    const [a, b] = await Promise.all([worker(w, 'worker-a'), worker(w, 'worker-b')]);
    try {
      const key = conversationKey({ tenant: 'acme', chat: 'oncall', thread: '7' });
      const marker = join(a.dir, 'rebooted');
      const asked = await a.runner.runTurn({
        key,
        text: `call tool Bash ${JSON.stringify({ command: `touch ${marker} && printf rebooted-ok` })}`,
        requestId: 'tg:1',
        userId: '42',
      });
      const pending = asked.pending_approval;
      expect(pending, asked.error_message ?? '').toBeDefined();
      a.pool.close(); // worker A restarts: nothing of the request lives in a process

      const decided = await b.runner.runTurn({
        key,
        text: '',
        approval: { id: pending!.id, decision: 'allow_once', by: '43' },
        requestId: 'tg:2',
      });
      expect(decided.is_error, decided.error_message ?? '').toBe(false);
      expect(decided.response).toContain('rebooted-ok');
      expect(existsSync(marker)).toBe(true);
      expect(decided.session_id).toBe(asked.session_id);

      // Worker A is back (a new process, nothing live). The same tap delivered again to it
      // changes nothing: the recorded result.
      const a2 = await worker(w, 'worker-a2');
      const again = await a2.runner.runTurn({
        key,
        text: '',
        approval: { id: pending!.id, decision: 'allow_once', by: '43' },
        requestId: 'tg:2',
      });
      expect(again.replayed).toBe('done');

      const audit = await w.container().approvals.list(key);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        status: 'allow_once',
        resolvedBy: '43',
        requestedBy: '42',
        tool: 'Bash',
      });

      const next = await a2.runner.runTurn({ key, text: 'thanks', requestId: 'tg:3' });
      a2.pool.close();
      expect(next.is_error).toBe(false);
      const last = model.requests.at(-1);
      expect(last && userTexts(last)).toContain('thanks');
      expect(JSON.stringify(last?.body.messages)).toContain('rebooted-ok');
    } finally {
      a.pool.close();
      b.pool.close();
    }
  });
});
