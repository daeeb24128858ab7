import fc from 'fast-check';
import { Bot } from 'grammy';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EPOCH_MS } from '../../src/core/clock.js';
import { errorMessage } from '../../src/core/errors.js';
import { DEFAULT_TENANT } from '../../src/core/ids.js';
import { createLogger } from '../../src/core/logger.js';
import { decodeQueuedMessage, encodeQueuedMessage } from '../../src/queue/message.js';
import { createMemoryDeduper } from '../../src/telegram/dedupe/index.js';
import { createIngress } from '../../src/telegram/ingress/ingress.js';
import { UPDATE_SCHEMA } from '../../src/telegram/ingress/update-shape.js';
import { mountTelegramWebhook } from '../../src/telegram/ingress/webhook.js';
import { RUNS, SEED, createFigures, since, watchCrashes, yieldToEventLoop } from './figures.js';
import { boundIssues, namesBrokenField, schemaCases, type BoundIssue } from './schema-cases.js';
import { startWorkerHarness, type WorkerHarness } from './worker-harness.js';

/**
 * Telegram updates as decoded (issue 18): `UPDATE_SCHEMA` → the ingress → the queue's wire format
 * → the real worker. Every update the schema accepts — ids at ±2^53, dates at the end of the
 * range, texts and captions at their maximum, 20 photo sizes, forum topics, callback queries —
 * is handled without an internal error; every update it refuses is a 400 naming the field.
 */

const SECRET = 'bounds-telegram-secret-0123456789';

/**
 * The audit's findings that are the update's own pass-through: an update is a loose object (grammY
 * reads fields this schema does not check — they pass untouched; the webhook's body limit bounds
 * them). Every field the schema does name must still be bounded.
 */
function passThrough(issues: readonly BoundIssue[]): Record<string, string> {
  const loose = issues.filter((i) => i.path === '{}' || i.path.endsWith('.{}'));
  const allowed: Record<string, string> = {};
  for (const { path } of loose) {
    const parent = path === '{}' ? '(root)' : path.slice(0, -'.{}'.length);
    allowed[path] = 'unknown update fields pass through (webhook body limit 1 MiB)';
    allowed[parent] = 'a loose object: its unknown fields pass through (webhook body limit 1 MiB)';
  }
  return allowed;
}

/** Fields the ingress reads beyond the schema (a reply's author, a chat posting as itself), hostile. */
const hostileContext = fc.record(
  {
    reply_to_message: fc.record(
      {
        message_id: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constant(2 ** 53), fc.constant('7')),
        date: fc.constantFrom(0, MAX_EPOCH_MS / 1000, 1e20),
        chat: fc.constant({ id: 5, type: 'group' }),
        from: fc.record({
          id: fc.oneof(fc.integer({ min: 1 }), fc.constant(2 ** 60), fc.constant('x'), fc.constant(-1)),
          is_bot: fc.boolean(),
          first_name: fc.oneof(fc.string({ maxLength: 10 }), fc.constant('n'.repeat(5000)), fc.constant(7)),
          username: fc.oneof(fc.constant('u'.repeat(500)), fc.constant('')),
        }),
        text: fc.oneof(fc.constant('q'.repeat(100_000)), fc.constant(null), fc.constant(['x'])),
      },
      { requiredKeys: ['message_id', 'date', 'chat'] },
    ),
    sender_chat: fc.record({
      id: fc.oneof(fc.integer(), fc.constant(2 ** 60), fc.constant('c')),
      type: fc.constantFrom('channel', 'group', 'supergroup'),
      title: fc.oneof(fc.constant('t'.repeat(10_000)), fc.constant(5)),
    }),
    quote: fc.record({ text: fc.oneof(fc.constant('z'.repeat(50_000)), fc.constant(3)) }),
    external_reply: fc.record({
      origin: fc.constantFrom<unknown>(
        { type: 'user', date: 0 },
        { type: 'user', date: 0, sender_user: { id: 'x', is_bot: false, first_name: 'a' } },
        { type: 'user', date: 0, sender_user: { id: 9, is_bot: false, first_name: 'a', username: 'u' } },
        { type: 'hidden_user', date: 0, sender_user_name: 'h'.repeat(300) },
        { type: 'channel', date: 0, chat: { id: -100, type: 'channel', title: 5 }, message_id: 1 },
        { type: 'chat', date: 0 },
        { type: 'satellite', date: 0 },
      ),
    }),
  },
  { requiredKeys: [] },
);

/** No unknown fields of its own (they pass through untouched; `hostileContext` tries the read ones). */
const updates = schemaCases(UPDATE_SCHEMA, { typicalItems: 0 });

/** A valid update's message as a person sends it (not a bot, with text or a file), so it is queued. */
const human = updates.map((c) => {
  const update = c.value as Record<string, Record<string, unknown> | undefined>;
  const message = update['message'];
  if (c.kind !== 'valid' || !message) return c;
  const from = message['from'] as Record<string, unknown> | undefined;
  const hasContent = message['text'] !== undefined || message['photo'] || message['document'];
  return {
    ...c,
    // One kind per update, as Telegram sends them.
    value: {
      update_id: update['update_id'],
      message: {
        ...message,
        // A private chat with its person (groups answer only when addressed).
        chat: { ...(message['chat'] as object), type: 'private', id: Math.abs(Number(from?.['id'] ?? 7)) },
        from: { ...(from ?? { id: 7, first_name: 'A' }), is_bot: false },
        ...(hasContent ? {} : { text: 'hello' }),
      },
    },
  };
});

/** A valid update with a message, plus hostile context fields the schema does not check. */
const withContext = human.chain((c) => {
  const update = c.value as Record<string, unknown>;
  if (c.kind !== 'valid' || typeof update['message'] !== 'object' || update['message'] === null)
    return fc.constant(c);
  return hostileContext.map((extra) => ({
    ...c,
    value: { ...update, message: { ...(update['message'] as object), ...extra } },
  }));
});

describe('bounds: Telegram updates → ingress → queue → worker', () => {
  let h: WorkerHarness;
  let app: Hono;
  const ingressErrors: string[] = [];
  let outcomes: string[] = [];
  let internals: string[] = [];

  beforeAll(async () => {
    h = await startWorkerHarness();
    const logger = createLogger({ level: 'error', write: (line) => ingressErrors.push(line) });
    const bot = new Bot(h.api.token, { botInfo: h.api.botInfo, client: { apiRoot: h.api.apiRoot } });
    bot.use(
      createIngress({
        tenant: DEFAULT_TENANT,
        deduper: createMemoryDeduper(),
        policy: { nonForumGroups: 'respond' },
        logger,
        queue: {
          enqueue: async (item) => {
            // As the SQS consumer sees it: encoded, decoded, handed to the worker.
            const outcome = await h.handleBody(encodeQueuedMessage(item));
            outcomes.push(`${item.kind} ${outcome.label}`);
            if (outcome.internal) internals.push(`${item.kind}: ${outcome.internal}`);
            decodeQueuedMessage(encodeQueuedMessage(item));
          },
        },
      }),
    );
    app = mountTelegramWebhook(new Hono(), {
      resolve: (t) => (t === 'default' ? { bot, secretToken: SECRET } : undefined),
      logger,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('regressions: a date past a Date, a reply whose text is not a string → 400 naming the field', async () => {
    const post = (message: Record<string, unknown>) =>
      app.request('/telegram/default', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
        body: JSON.stringify({
          update_id: 900_000,
          message: { message_id: 1, date: 0, chat: { id: 5, type: 'private' }, text: 'hi', ...message },
        }),
      });
    const late = await post({ date: MAX_EPOCH_MS / 1000 + 1 });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('message.date');
    const reply = await post({
      reply_to_message: { message_id: 2, date: 0, chat: { id: 5, type: 'private' }, text: ['x'] },
    });
    expect(reply.status).toBe(400);
    expect(await reply.text()).toContain('message.reply_to_message.text');
  });

  it('audit: every field the update schema names has an upper bound', () => {
    const issues = boundIssues(UPDATE_SCHEMA);
    expect(boundIssues(UPDATE_SCHEMA, passThrough(issues))).toEqual([]);
  });

  it(`${RUNS} updates: accepted ones reach the worker without an internal error, refused ones are a 400 naming the field`, async () => {
    const figures = createFigures('Telegram updates → ingress → queue → worker');
    const crashes = watchCrashes();
    let accepted = 0;
    let refused = 0;
    let update = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof(updates, human, withContext), async (c) => {
          await yieldToEventLoop();
          ingressErrors.length = 0;
          outcomes = [];
          internals = [];
          // A fresh update id per case (the deduper would drop a repeat), kept when it is the broken field.
          const value =
            typeof c.value === 'object' &&
            c.value !== null &&
            !Array.isArray(c.value) &&
            !(c.kind === 'invalid' && c.path === 'update_id')
              ? { ...c.value, update_id: (update += 1) }
              : c.value;
          const start = performance.now();
          const res = await app.request('/telegram/default', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
            body: JSON.stringify(value),
          });
          const body = (await res.json()) as { ok: boolean; error?: string };
          const label =
            res.status === 200
              ? outcomes.length
                ? outcomes.join(',')
                : '200 nothing queued'
              : `${res.status}`;
          figures.record(label, since(start), [
            c.kind === 'invalid' ? (c.broke.split(' ')[0] ?? '') : 'valid',
          ]);
          const problem =
            res.status >= 500
              ? `${res.status}`
              : res.status === 200
                ? c.kind === 'invalid'
                  ? `accepted an update broken at ${c.path} (${c.broke})`
                  : [...internals, ...ingressErrors].join(' | ') || undefined
                : c.kind === 'invalid' &&
                    !namesBrokenField(
                      [/^not a Telegram update: ([^:]*):/.exec(body.error ?? '')?.[1] ?? ''],
                      c.path,
                    )
                  ? `400 not naming ${c.path}: ${body.error}`
                  : undefined;
          if (res.status === 200) accepted++;
          else refused++;
          if (problem) figures.fail(`${problem} — ${JSON.stringify(value).slice(0, 300)}`);
          expect(problem).toBeUndefined();
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    } catch (err) {
      throw new Error(errorMessage(err).slice(0, 3000));
    } finally {
      crashes.stop();
      figures.print({ accepted, refused, crashes: crashes.crashes.length, 'turns run': h.turns.length });
    }
    expect(crashes.crashes).toEqual([]);
    expect(accepted).toBeGreaterThan(RUNS / 4);
    expect(refused).toBeGreaterThan(RUNS / 4);
  });
});
