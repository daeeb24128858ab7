import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWarmPool } from '../../src/agent/warm/pool.js';
import { conversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { DEMO_LABEL, userTexts } from '../../src/model/index.js';
import { startFakeBedrock, type FakeBedrock } from '../fakes/bedrock.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';

/** Bedrock mode through the runner: the real binary talks SigV4 to a local fake Bedrock runtime. */
let h: AgentHarness;
let bedrock: FakeBedrock;

const SECRET = 'test-secret-access-key-0000000000000000';
const SONNET_ARN = 'arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/sonnet-profile';

beforeAll(async () => {
  h = await startAgentHarness();
  bedrock = await startFakeBedrock({ secretAccessKey: SECRET });
});
afterAll(async () => {
  await bedrock?.close();
  await h?.close();
});

describe('Amazon Bedrock provider', () => {
  it('signs requests with the explicit credentials, uses the configured model ids, and does not re-probe on resume', async () => {
    const runner = h.runnerWith({
      provider: {
        kind: 'bedrock',
        region: 'eu-west-1',
        baseUrl: bedrock.url,
        credentials: {
          accessKeyId: 'AKIATESTBEDROCK',
          secretAccessKey: SECRET,
          sessionToken: 'session-token-xyz',
        },
      },
      models: { model: 'eu.anthropic.claude-opus-5-5', sonnet: SONNET_ARN },
    });
    const key = conversationKey({ tenant: 'default', chat: 'bedrock' });

    const first = await runner.runTurn({ key, text: 'hello bedrock' });
    expect(first.is_error).toBe(false);
    expect(first.response).toContain(DEMO_LABEL);
    const second = await runner.runTurn({ key, text: 'second turn on bedrock' });
    expect(second.is_error).toBe(false);
    expect(second.session_id).toBe(first.session_id);

    const streams = bedrock.requests.filter((r) => r.route === 'invoke-stream');
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(new Set(streams.map((r) => r.modelId))).toEqual(new Set(['eu.anthropic.claude-opus-5-5']));
    for (const request of bedrock.requests.filter((r) => r.route !== 'other')) {
      expect(request.auth).toMatchObject({
        scheme: 'sigv4',
        accessKeyId: 'AKIATESTBEDROCK',
        signatureValid: true,
      });
      expect(request.securityToken).toBe(true);
    }
    // The resumed turn saw the first one.
    const lastModelRequest = bedrock.modelRequests().at(-1);
    expect(lastModelRequest && userTexts(lastModelRequest)).toEqual([
      'hello bedrock',
      'second turn on bedrock',
    ]);
    // A store resume runs in a fresh config dir; without CLAUDE_CODE_PROVIDER_MANAGED_BY_HOST every
    // resumed turn would repeat the model-access probes.
    expect(bedrock.requests.filter((r) => r.probe)).toHaveLength(0);
  });

  it('a warm conversation on Bedrock: the next turn is one signed model request, nothing else', async () => {
    const warm = createWarmPool({ max: 2, idleMs: 60_000, logger: silentLogger });
    try {
      const runner = h.runnerWith({
        warm,
        provider: {
          kind: 'bedrock',
          region: 'eu-west-1',
          baseUrl: bedrock.url,
          credentials: { accessKeyId: 'AKIATESTBEDROCK', secretAccessKey: SECRET },
        },
        models: { model: 'eu.anthropic.claude-opus-5-5' },
      });
      const key = conversationKey({ tenant: 'default', chat: 'bedrock-warm' });
      await runner.runTurn({ key, text: 'first on a live process' });
      const before = bedrock.requests.length;
      const second = await runner.runTurn({ key, text: 'second on the same process' });
      expect(second.is_error).toBe(false);
      expect(warm.stats().hits).toBe(1);
      const during = bedrock.requests.slice(before);
      expect(during.map((r) => r.route)).toEqual(['invoke-stream']);
      expect(during[0]?.auth).toMatchObject({ scheme: 'sigv4', signatureValid: true });
      const last = bedrock.modelRequests().at(-1);
      expect(last && userTexts(last)).toEqual(['first on a live process', 'second on the same process']);
    } finally {
      warm.close();
    }
  });
});
