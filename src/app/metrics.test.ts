import { describe, expect, it } from 'vitest';
import type { AgentRunner } from '../agent/types.js';
import { DeliveryDeferredError } from '../core/delivery-deferred.js';
import { conversationKey } from '../core/keys.js';
import { createEmfMetrics } from '../core/metrics.js';
import { createMemoryDeduper } from '../telegram/dedupe/index.js';
import { createFakeRunner } from '../../test/deploy/fake-runner.js';
import { withDedupeMetrics, withTurnMetrics } from './metrics.js';

describe('EMF metrics', () => {
  it('emits one EMF line per turn with latency, cost and error counts under the tenant dimension', async () => {
    const lines: string[] = [];
    const metrics = createEmfMetrics({
      namespace: 'OmniCloud/test',
      write: (l) => lines.push(l),
      now: () => 42,
    });
    const runner = withTurnMetrics(
      createFakeRunner(() => ({ is_error: true, error_code: 'history_not_persisted', duration_ms: 1234 })),
      metrics,
    );
    await runner.runTurn({ key: conversationKey({ tenant: 'acme', chat: '1' }), text: 'hi' });
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown> & {
      _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> };
    };
    expect(record._aws.Timestamp).toBe(42);
    expect(record._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'OmniCloud/test',
      Dimensions: [['tenant']],
    });
    expect(record).toMatchObject({ tenant: 'acme', TurnLatency: 1234, TurnErrors: 1, PersistenceErrors: 1 });
  });

  it('a deferred reply: its turn reported once when deferred, with RepliesDeferred, and the error passed on', async () => {
    const lines: string[] = [];
    const metrics = createEmfMetrics({ namespace: 'n', write: (l) => lines.push(l) });
    const inner = createFakeRunner(() => ({ cost_usd: 0.25, duration_ms: 900 }));
    const deferring: AgentRunner = {
      ...inner,
      async runTurn(request) {
        const result = await inner.runTurn(request);
        await request.deliver?.(result);
        return result;
      },
    };
    const runner = withTurnMetrics(deferring, metrics);
    const untilMs = Date.now() + 30_000;
    const turn = runner.runTurn({
      key: conversationKey({ tenant: 'acme', chat: '1' }),
      text: 'hi',
      deliver: () => Promise.reject(new DeliveryDeferredError(untilMs)),
    });
    await expect(turn).rejects.toMatchObject({ code: 'delivery_deferred', untilMs });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      tenant: 'acme',
      TurnCostUsd: 0.25,
      RepliesDeferred: 1,
    });
  });

  it('counts dedupe hits, not first deliveries', async () => {
    const lines: string[] = [];
    const deduper = withDedupeMetrics(
      createMemoryDeduper(),
      createEmfMetrics({ namespace: 'n', write: (l) => lines.push(l) }),
    );
    const tenant = conversationKey({ tenant: 'acme', chat: '1' }).tenant;
    expect(await deduper.claim(tenant, 7)).toBe(true);
    expect(await deduper.claim(tenant, 7)).toBe(false);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ DedupeHits: 1, tenant: 'acme' });
  });
});
