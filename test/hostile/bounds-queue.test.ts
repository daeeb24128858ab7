import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EPOCH_MS } from '../../src/core/clock.js';
import type { OmniError } from '../../src/core/errors.js';
import { QueueMessageFormatError } from '../../src/queue/errors.js';
import {
  LEGACY_QUEUE_WIRE_SCHEMA,
  QUEUE_WIRE_SCHEMA,
  decodeQueuedMessage,
  encodeQueuedMessage,
} from '../../src/queue/message.js';
import { createSqsBatchHandler } from '../../src/queue/sqs-batch.js';
import type { QueuedMessage } from '../../src/queue/types.js';
import { RUNS, SEED, createFigures, since, watchCrashes, yieldToEventLoop } from './figures.js';
import { boundIssues, jsonSchemaOf, namesBrokenField, schemaCases, type SchemaCase } from './schema-cases.js';
import { startWorkerHarness, type WorkerHarness } from './worker-harness.js';

/**
 * Queue work items (issue 18): the wire schema is bounded everywhere (audit); every item it
 * accepts — at every bound, every kind — goes through the real worker without an internal error;
 * every item it refuses is a `QueueMessageFormatError` naming the broken field (the consumer and
 * the Lambda batch handler then fail that record only, so it reaches the dead-letter queue).
 */

/** The fields named in a decode error: `[queue] invalid agent work item: key.tenant: …; text: …`. */
export function decodeErrorPaths(err: unknown): string[] {
  if (!(err instanceof QueueMessageFormatError)) return [];
  if (/unknown work item kind/.test(err.message)) return ['kind'];
  if (/body (must be a JSON object|is not JSON)/.test(err.message)) return ['(root)'];
  const detail = err.message.replace(/^\[queue\] invalid \w+ work item: /, '');
  return detail.split('; ').map((issue) => issue.slice(0, issue.indexOf(': ')));
}

/** Times at the ends of what the wire accepts, to feed through `toISOString`, croner, the ledger. */
const EDGE_DUE = ['2000-01-01T00:00:00Z', '2199-12-31T23:59:59.999Z', '2026-12-02T09:00:00.5Z'];
/** The wire's own bounds of `messageTime` (whatever they are), and a Date's. */
const agentWire = jsonSchemaOf(QUEUE_WIRE_SCHEMA.options[0]).properties?.['messageTime'];
const EDGE_TIME = [0, agentWire?.minimum ?? 0, agentWire?.maximum ?? 0, MAX_EPOCH_MS];

/** A valid item with its times moved to an edge (the generator's random digits rarely make a date). */
function atEdges(c: SchemaCase): fc.Arbitrary<SchemaCase> {
  if (c.kind !== 'valid') return fc.constant(c);
  const item = c.value as Record<string, unknown>;
  const source = item['source'] as Record<string, unknown> | undefined;
  if (item['kind'] === 'scheduled' && source)
    return fc
      .constantFrom(...EDGE_DUE)
      .map((dueAt) => ({ kind: 'valid', value: { ...item, source: { ...source, dueAt } } }));
  if (item['kind'] === 'agent')
    return fc.constantFrom(...EDGE_TIME).map((messageTime) => ({
      kind: 'valid',
      // With text, so the turn runs (an empty message without files is not answered).
      value: { ...item, messageTime, text: `x${String(item['text']).slice(1)}` },
    }));
  return fc.constant(c);
}

const cases = fc.oneof(
  ...QUEUE_WIRE_SCHEMA.options.map((branch) => schemaCases(branch)),
  schemaCases(LEGACY_QUEUE_WIRE_SCHEMA),
  ...QUEUE_WIRE_SCHEMA.options.map((branch) => schemaCases(branch).chain(atEdges)),
);

describe('bounds: queue work items', () => {
  let h: WorkerHarness;
  beforeAll(async () => {
    h = await startWorkerHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('audit: every field of the wire format (and the legacy one) has an upper bound', () => {
    expect(boundIssues(QUEUE_WIRE_SCHEMA)).toEqual([]);
    expect(boundIssues(LEGACY_QUEUE_WIRE_SCHEMA)).toEqual([]);
  });

  it(`${RUNS}+ items: accepted ones run through the worker without an internal error, refused ones name the field`, async () => {
    const figures = createFigures('queue work items → decode → worker');
    const crashes = watchCrashes();
    let accepted = 0;
    let refused = 0;
    try {
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          await yieldToEventLoop();
          const body = JSON.stringify(c.value);
          const start = performance.now();
          let decoded: QueuedMessage | undefined;
          let error: unknown;
          try {
            decoded = decodeQueuedMessage(body);
          } catch (err) {
            error = err;
          }
          if (!decoded) {
            refused++;
            const named = namesBrokenField(decodeErrorPaths(error), c.kind === 'invalid' ? c.path : '');
            figures.record(`refused (${c.kind})`, since(start), [
              c.kind === 'invalid' ? c.broke : 'refinement',
            ]);
            if (!(error instanceof QueueMessageFormatError) || (c.kind === 'invalid' && !named)) {
              figures.fail(`${c.kind} ${c.kind === 'invalid' ? c.path : ''}: ${String(error)}`);
            }
            expect(error).toBeInstanceOf(QueueMessageFormatError);
            if (c.kind === 'invalid') expect(named, `${c.broke} at ${c.path}: ${String(error)}`).toBe(true);
            return;
          }
          accepted++;
          if (c.kind === 'invalid') {
            figures.fail(`accepted an item broken at ${c.path} (${c.broke})`);
            expect.fail(`accepted an item broken at ${c.path} (${c.broke})`);
          }
          // What was decoded encodes and decodes to itself (the in-process queue checks items so).
          expect(decodeQueuedMessage(encodeQueuedMessage(decoded))).toEqual(decoded);
          const outcome = await h.handle(decoded);
          figures.record(`${decoded.kind} ${outcome.label}`, since(start), [decoded.kind]);
          if (outcome.internal) figures.fail(`${decoded.kind}: ${outcome.internal} — ${body.slice(0, 200)}`);
          expect(outcome.internal, body.slice(0, 300)).toBeUndefined();
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    } finally {
      crashes.stop();
      figures.print({ accepted, refused, crashes: crashes.crashes.length, 'turns run': h.turns.length });
    }
    expect(crashes.crashes).toEqual([]);
    expect(figures.failures).toEqual([]);
    expect(accepted).toBeGreaterThan(RUNS / 4);
    expect(refused).toBeGreaterThan(RUNS / 4);
  });

  it('an undecodable record fails alone in the Lambda batch (retried, then dead-lettered); others go on', async () => {
    const handled: string[] = [];
    const batch = createSqsBatchHandler({
      handler: async (message) => void handled.push(message.kind),
    });
    const good: QueuedMessage = {
      kind: 'reset',
      key: decodeQueuedMessage(
        JSON.stringify({
          kind: 'reset',
          key: { tenant: 'acme', chat: '5', thread: 'main' },
          source: { type: 'telegram', updateId: 1, replyTo: { chatId: 5 } },
        }),
      ).key,
      source: { type: 'telegram', updateId: 1, replyTo: { chatId: 5 } },
    };
    const bad = JSON.stringify({
      ...good,
      key: { tenant: 'acme', chat: '../../etc', thread: 'main' },
    });
    const response = await batch({
      Records: [
        { messageId: 'a', body: bad, attributes: { MessageGroupId: 'acme:x:main' } },
        { messageId: 'b', body: encodeQueuedMessage(good), attributes: { MessageGroupId: 'acme:5:main' } },
      ],
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
    expect(handled).toEqual(['reset']);
    let error: unknown;
    try {
      decodeQueuedMessage(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(QueueMessageFormatError);
    expect((error as OmniError).status).toBe(400);
    expect(decodeErrorPaths(error)).toEqual(['key.chat']);
  });

  it('regression: a message time past the largest Date is refused at decode, not a failed turn', () => {
    const item = {
      kind: 'agent',
      key: { tenant: 'acme', chat: '5', thread: 'main' },
      source: { type: 'telegram', updateId: 1, replyTo: { chatId: 5 } },
      text: 'hi',
    };
    expect(() => decodeQueuedMessage(JSON.stringify({ ...item, messageTime: MAX_EPOCH_MS }))).not.toThrow();
    for (const messageTime of [MAX_EPOCH_MS + 1, Number.MAX_SAFE_INTEGER]) {
      expect(() => decodeQueuedMessage(JSON.stringify({ ...item, messageTime }))).toThrow(/messageTime/);
    }
    expect(() =>
      decodeQueuedMessage(
        JSON.stringify({ ...item, messageTime: 1, key: { ...item.key, tenant: 'x'.repeat(33) } }),
      ),
    ).toThrow(/key\.tenant/);
  });
});
