import fc from 'fast-check';
import { Bot } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/core/errors.js';
import { parseTenantId, type TenantId } from '../../src/core/ids.js';
import { conversationKey, conversationKeyString } from '../../src/core/keys.js';
import { decodeQueuedMessage, encodeQueuedMessage } from '../../src/queue/message.js';
import type { QueuedMessage } from '../../src/queue/types.js';
import { createMemoryDeduper } from '../../src/telegram/dedupe/index.js';
import { createIngress } from '../../src/telegram/ingress/ingress.js';
import { createTelegramWebhookLambda, type ApiGatewayV2Event } from '../../src/telegram/ingress/lambda.js';
import { mountTelegramWebhook, type WebhookTenant } from '../../src/telegram/ingress/webhook.js';
import {
  TRAVERSAL_SEGMENTS,
  deepBody,
  encodeSegment,
  hugeBodies,
  malformedJson,
  trickyText,
} from './arbitraries.js';
import {
  RUNS,
  SEED,
  STACK_TRACE_RE,
  createFigures,
  since,
  watchCrashes,
  type Figures,
  yieldToEventLoop,
} from './figures.js';

/**
 * Fuzzes `POST /telegram/:tenant` (the Hono route and the API Gateway v2 Lambda handler) with
 * malformed JSON, wrong types, huge and deeply nested bodies, tricky texts, hostile tenant path
 * segments and forged secrets. Invariants: never 5xx, never a crash, every enqueued message is a
 * valid conversation of the route's tenant (and survives the SQS wire format), and nothing is
 * enqueued without that tenant's secret.
 */

const botInfo = {
  id: 4242,
  is_bot: true,
  first_name: 'Bot',
  username: 'omni_test_bot',
} as UserFromGetMe;

const SECRETS: Record<string, string> = {
  default: 'webhook-secret-default-0123456789abcdef',
  acme: 'webhook-secret-acme-fedcba9876543210',
};

/** Own-property lookup: a `__proto__` or `constructor` segment must not find anything. */
const secretOf = (tenant: string): string | undefined =>
  Object.hasOwn(SECRETS, tenant) ? SECRETS[tenant] : undefined;

/**
 * The tenant the server sees for a path segment: what follows `/telegram/` after URL parsing
 * (`#…` is a fragment, `..` is resolved), percent-decoded like Hono decodes a param.
 */
function routeTenantOf(segment: string): string | undefined {
  const path = new URL(`http://x/telegram/${segment}`).pathname;
  if (!path.startsWith('/telegram/')) return undefined;
  const rest = path.slice('/telegram/'.length);
  if (rest === '' || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

interface Enqueued {
  routeTenant: TenantId;
  message: QueuedMessage;
}

/** Two tenants, each with its own bot, deduper and a queue that records what was enqueued. */
function setup() {
  const enqueued: Enqueued[] = [];
  const apiCalls: string[] = [];
  const tenants = new Map<string, WebhookTenant>();
  let topic = 100;
  for (const [name, secretToken] of Object.entries(SECRETS)) {
    const tenant = parseTenantId(name);
    const bot = new Bot(`${botInfo.id}:hostile-${name}`, { botInfo });
    // Stub the Bot API with a transformer (no network): every call succeeds.
    bot.api.config.use(async (_prev, method, payload) => {
      apiCalls.push(method);
      const p = payload as { chat_id?: number };
      const result =
        method === 'createForumTopic'
          ? { message_thread_id: topic++, name: 't', icon_color: 0 }
          : method === 'sendMessage'
            ? { message_id: 1, date: 0, chat: { id: p.chat_id ?? 0, type: 'private' } }
            : true;
      return { ok: true, result } as never;
    });
    bot.use(
      createIngress({
        tenant,
        queue: { enqueue: async (message) => void enqueued.push({ routeTenant: tenant, message }) },
        deduper: createMemoryDeduper(),
        policy: { nonForumGroups: 'respond' },
        commands: {
          deploy: { type: 'agent', prompt: 'Deploy: {args}', description: 'deploy' },
          about: { type: 'static', text: 'about', description: 'about' },
        },
      }),
    );
    tenants.set(name, { bot, secretToken });
  }
  const options = { resolve: (t: string) => tenants.get(t) };
  return {
    enqueued,
    apiCalls,
    app: mountTelegramWebhook(new Hono(), options),
    lambda: createTelegramWebhookLambda(options),
  };
}

// ---------- inputs ----------

const COMMANDS = [
  '/start',
  '/help',
  '/new',
  '/debug',
  '/cost',
  '/stop',
  '/deploy prod',
  '/newchat ',
  '/newchat plan the migration',
  '/start@omni_test_bot',
  '/help@other_bot',
  '/unknown_cmd',
  '/',
  '/\u0000',
];

const text = fc.oneof(
  { arbitrary: trickyText(300), weight: 5 },
  {
    arbitrary: fc.tuple(fc.constantFrom(...COMMANDS), trickyText(60)).map(([c, t]) => `${c} ${t}`),
    weight: 2,
  },
  { arbitrary: fc.constantFrom('x'.repeat(4097), 'y'.repeat(64_001), 'z'.repeat(65_537)), weight: 1 },
);

/** `usual` nine times in ten, else `odd`. */
const mostly = <T, U>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<U>): fc.Arbitrary<T | U> =>
  fc.oneof({ arbitrary: usual, weight: 9 }, { arbitrary: odd, weight: 1 });

/** True once in `n` cases. */
const rarely = (n: number): fc.Arbitrary<boolean> => fc.nat({ max: n - 1 }).map((i) => i === 0);

const user = fc.record({
  id: fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }), fc.constant(111)),
  is_bot: rarely(10),
  first_name: trickyText(30),
});

const chat = fc.oneof(
  fc.record({
    id: fc.integer({ min: 1, max: 2 ** 40 }),
    type: fc.constant('private'),
    first_name: trickyText(20),
  }),
  fc.record({
    id: fc.integer({ min: -(2 ** 45), max: -1 }),
    type: fc.constant('supergroup'),
    is_forum: fc.constantFrom(true, false, 'yes', 1),
    title: trickyText(20),
  }),
  fc.record({ id: fc.integer({ min: -(2 ** 40), max: -1 }), type: fc.constant('group'), title: fc.string() }),
  fc.record({
    id: fc.integer({ min: -(2 ** 45), max: -1 }),
    type: fc.constant('channel'),
    title: fc.string(),
  }),
);

const message = fc.record(
  {
    message_id: mostly(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: -5, max: 0 })),
    date: mostly(fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }), fc.integer({ min: -10, max: 0 })),
    chat,
    from: user,
    text,
    message_thread_id: mostly(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: -3, max: 0 })),
    is_topic_message: mostly(fc.boolean(), fc.constantFrom('true', 1)),
    entities: fc.constant([{ type: 'bot_command', offset: 0, length: 6 }]),
    photo: fc.constant([{ file_id: 'x', file_unique_id: 'y', width: 1, height: 1 }]),
  },
  { requiredKeys: ['message_id', 'date', 'chat'] },
);

const member = fc.record({
  status: fc.constantFrom('member', 'administrator', 'left', 'kicked', 'creator', '\u0000'),
  user: fc.oneof(fc.constant({ ...botInfo }), user),
});

const update = fc.oneof(
  { arbitrary: fc.record({ update_id: fc.nat(), message }), weight: 6 },
  { arbitrary: fc.record({ update_id: fc.nat(), edited_message: message }), weight: 1 },
  {
    arbitrary: fc.record({
      update_id: fc.nat(),
      my_chat_member: fc.record({
        chat,
        from: user,
        date: fc.nat(),
        old_chat_member: member,
        new_chat_member: member,
      }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ update_id: fc.nat(), callback_query: fc.jsonValue({ maxDepth: 3 }) }),
    weight: 1,
  },
);

/** Paths a mutation may overwrite with a value of the wrong type. */
const MUTATION_PATHS: readonly (readonly string[])[] = [
  ['update_id'],
  ['message'],
  ['message', 'chat'],
  ['message', 'chat', 'id'],
  ['message', 'chat', 'type'],
  ['message', 'from'],
  ['message', 'from', 'id'],
  ['message', 'from', 'is_bot'],
  ['message', 'text'],
  ['message', 'date'],
  ['message', 'message_id'],
  ['message', 'message_thread_id'],
  ['message', 'entities'],
  ['edited_message'],
  ['my_chat_member'],
  ['__proto__'],
];

const wrongValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    '1',
    '-1',
    1.5,
    -1,
    2 ** 53,
    1e308,
    '',
    null,
    [],
    {},
    true,
    '../..',
    { id: '..' },
    'private',
  ),
);

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) {
      node[key] = {};
    }
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  Object.defineProperty(node, last, {
    value: structuredClone(value),
    enumerable: true,
    configurable: true,
    writable: true,
  });
}

const mutatedUpdate = fc
  .tuple(
    update,
    fc.array(fc.tuple(fc.constantFrom(...MUTATION_PATHS), wrongValue), { minLength: 1, maxLength: 3 }),
  )
  .map(([u, mutations]) => {
    const copy = structuredClone(u) as Record<string, unknown>;
    for (const [path, value] of mutations) setPath(copy, path, value);
    return copy;
  });

const VALID_SAMPLE = JSON.stringify({
  update_id: 1,
  message: { message_id: 1, date: 1_700_000_000, chat: { id: 7, type: 'private' }, text: 'hi' },
});
const HUGE = hugeBodies(VALID_SAMPLE);

type BodyClass = 'update' | 'mutated' | 'json' | 'malformed' | 'deep' | 'deep-in-update' | 'huge';

const body: fc.Arbitrary<{ cls: BodyClass; text: string }> = fc.oneof(
  { arbitrary: update.map((u) => ({ cls: 'update' as const, text: JSON.stringify(u) })), weight: 40 },
  { arbitrary: mutatedUpdate.map((u) => ({ cls: 'mutated' as const, text: JSON.stringify(u) })), weight: 25 },
  {
    arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ cls: 'json' as const, text: JSON.stringify(v) })),
    weight: 10,
  },
  { arbitrary: malformedJson.map((t) => ({ cls: 'malformed' as const, text: t })), weight: 12 },
  { arbitrary: deepBody.map((t) => ({ cls: 'deep' as const, text: t })), weight: 3 },
  {
    arbitrary: fc.tuple(fc.nat(), fc.constantFrom(1_000, 10_000)).map(([id, depth]) => ({
      cls: 'deep-in-update' as const,
      text: `{"update_id":${id},"message":{"message_id":1,"date":1700000000,"chat":{"id":5,"type":"private"},"text":"hi","reply_markup":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
    })),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...HUGE).map((t) => ({ cls: 'huge' as const, text: t })), weight: 1 },
);

/** `padded`: the right secret with surrounding whitespace, which HTTP header parsing strips. */
type SecretClass = 'right' | 'padded' | 'missing' | 'near-miss' | 'other-tenant' | 'random';

const nearMiss = (s: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant(`${s}x`),
    fc.constant(s.slice(0, -1)),
    fc.constant(s.toUpperCase()),
    fc.constant(`${s},${s}`),
    fc.nat({ max: s.length - 1 }).map((i) => `${s.slice(0, i)}${s[i] === 'a' ? 'b' : 'a'}${s.slice(i + 1)}`),
  );

const printableHeader = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 80,
});

/** The route's tenant segment: a real tenant, or a traversal/injection/lookalike segment. */
const tenantSegment = fc.oneof(
  { arbitrary: fc.constantFrom('default', 'acme'), weight: 20 },
  { arbitrary: fc.constantFrom(...TRAVERSAL_SEGMENTS, 'default%2F..%2Facme', 'acme%00'), weight: 5 },
  { arbitrary: trickyText(40).map(encodeSegment), weight: 2 },
);

interface WebhookCase {
  tenant: string;
  body: { cls: BodyClass; text: string };
  secretClass: SecretClass;
  secret: string | undefined;
}

const webhookCase: fc.Arbitrary<WebhookCase> = fc
  .tuple(
    tenantSegment,
    body,
    fc.constantFrom<SecretClass>(
      'right',
      'right',
      'right',
      'right',
      'right',
      'padded',
      'missing',
      'near-miss',
      'other-tenant',
      'random',
    ),
  )
  .chain(([tenant, b, secretClass]) => {
    const own = secretOf(tenant) ?? secretOf('default') ?? '';
    const other = tenant === 'acme' ? (SECRETS['default'] ?? '') : (SECRETS['acme'] ?? '');
    const secret: fc.Arbitrary<string | undefined> =
      secretClass === 'right'
        ? fc.constant(own)
        : secretClass === 'padded'
          ? fc.constantFrom(` ${own}`, `${own} `, `\t${own}`)
          : secretClass === 'missing'
            ? fc.constant(undefined)
            : secretClass === 'near-miss'
              ? nearMiss(own)
              : secretClass === 'other-tenant'
                ? fc.constant(other)
                : printableHeader;
    return secret.map((s) => ({ tenant, body: b, secretClass, secret: s }));
  });

// ---------- invariants ----------

interface Reply {
  status: number;
  body: string;
}

/** Checks one answered case and what it enqueued; returns the outcome label or throws. */
function check(figures: Figures, c: WebhookCase, reply: Reply, newlyEnqueued: readonly Enqueued[]): string {
  const problems: string[] = [];
  if (reply.status >= 500) problems.push(`status ${reply.status}`);
  if (STACK_TRACE_RE.test(reply.body)) problems.push('stack trace in the body');
  for (const s of Object.values(SECRETS)) if (reply.body.includes(s)) problems.push('secret echoed');
  let parsed: { ok?: unknown } | undefined;
  try {
    parsed = JSON.parse(reply.body) as { ok?: unknown };
  } catch {
    // Hono's own plain-text 404 when the path is not `/telegram/<segment>` at all (e.g. `..`).
    if (reply.status !== 404) problems.push('non-JSON body');
  }
  if (parsed && (reply.status === 200) !== (parsed.ok === true))
    problems.push('ok flag disagrees with status');
  const seen = routeTenantOf(c.tenant);
  const secretRight =
    (c.secretClass === 'right' || c.secretClass === 'padded') &&
    seen !== undefined &&
    secretOf(seen) === c.secret?.trim();
  if (newlyEnqueued.length > 0 && !secretRight) problems.push('enqueued without the tenant secret');
  for (const { routeTenant, message } of newlyEnqueued) {
    try {
      const key = conversationKey(message.key);
      if (conversationKeyString(key) !== conversationKeyString(message.key))
        problems.push('key not canonical');
      if (message.key.tenant !== routeTenant || routeTenant !== routeTenantOf(c.tenant))
        problems.push(`enqueued into tenant ${message.key.tenant} from route ${c.tenant}`);
    } catch (err) {
      problems.push(`invalid key: ${errorMessage(err)}`);
    }
    try {
      decodeQueuedMessage(encodeQueuedMessage(message));
    } catch (err) {
      problems.push(
        `enqueued message does not survive the SQS wire format: ${errorMessage(err).slice(0, 200)}`,
      );
    }
  }
  if (problems.length > 0) {
    const reason = `${problems.join('; ')} (tenant ${JSON.stringify(c.tenant)}, ${c.body.cls}, secret ${c.secretClass}, body ${JSON.stringify(c.body.text.slice(0, 200))})`;
    figures.fail(reason);
    throw new Error(reason);
  }
  let error = parsed ? '' : ' (no route)';
  if (parsed && typeof (parsed as { error?: unknown }).error === 'string') {
    error = ` ${((parsed as { error: string }).error.split(':')[0] ?? '').slice(0, 40)}`;
  }
  return `${reply.status}${error}`;
}

const crashWatch = watchCrashes();
const allFigures: Figures[] = [];
afterAll(() => crashWatch.stop());

describe('hostile input: Telegram webhook', () => {
  it(`Hono route: ${RUNS} cases → 4xx or 200, never 5xx, nothing outside the tenant`, async () => {
    const figures = createFigures('webhook (Hono route POST /telegram/:tenant)');
    allFigures.push(figures);
    const { app, enqueued } = setup();
    try {
      await fc.assert(
        fc.asyncProperty(webhookCase, async (c) => {
          await yieldToEventLoop();
          const before = enqueued.length;
          const started = performance.now();
          const res = await app.request(`/telegram/${c.tenant}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(c.secret !== undefined ? { 'x-telegram-bot-api-secret-token': c.secret } : {}),
            },
            body: c.body.text,
          });
          const reply = { status: res.status, body: await res.text() };
          const ms = since(started);
          const outcome = check(figures, c, reply, enqueued.slice(before));
          figures.record(outcome, ms, [c.body.cls, `secret:${c.secretClass}`]);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    } finally {
      figures.print({ enqueued: enqueued.length, crashes: crashWatch.crashes.length });
    }
    expect(figures.failures).toEqual([]);
    expect(crashWatch.crashes).toEqual([]);
    // Enough hostile-but-valid updates reached the queue for the namespace check to mean something.
    expect(enqueued.length).toBeGreaterThan(40);
  });

  it(`Lambda handler (API Gateway v2, base64 bodies): ${RUNS} cases → never 5xx, never a rejection`, async () => {
    const figures = createFigures('webhook (Lambda handler, API Gateway v2 events)');
    allFigures.push(figures);
    const { lambda, enqueued } = setup();
    const eventCase = fc.record({
      c: webhookCase,
      base64: fc.boolean(),
      method: fc.constantFrom('POST', 'POST', 'POST', 'post', 'GET', 'PUT', 'HEAD', 'OPTIONS'),
      query: fc.option(fc.constantFrom('a=1', 'tenant=acme', '%00', '..%2f', '&&&', 'x=%E2%80%AE'), {
        nil: undefined,
      }),
      headerCase: fc.constantFrom('lower', 'upper', 'mixed'),
      extraHeaders: fc.dictionary(
        fc.constantFrom(
          'x-forwarded-for',
          'content-type',
          'x-amz-date',
          'user-agent',
          'x-telegram-bot-api-secret-token2',
        ),
        printableHeader,
        { maxKeys: 3 },
      ),
      badBase64: rarely(10),
      noBody: rarely(20),
    });
    let rejected = 0;
    try {
      await fc.assert(
        fc.asyncProperty(eventCase, async (e) => {
          await yieldToEventLoop();
          const before = enqueued.length;
          const secretHeader =
            e.headerCase === 'lower'
              ? 'x-telegram-bot-api-secret-token'
              : e.headerCase === 'upper'
                ? 'X-TELEGRAM-BOT-API-SECRET-TOKEN'
                : 'X-Telegram-Bot-Api-Secret-Token';
          const raw = e.c.body.text;
          const bodyText = e.badBase64
            ? `${Buffer.from(raw).toString('base64').slice(1)}!!`
            : e.base64
              ? Buffer.from(raw, 'utf8').toString('base64')
              : raw;
          const event: ApiGatewayV2Event = {
            rawPath: `/telegram/${e.c.tenant}`,
            ...(e.query !== undefined ? { rawQueryString: e.query } : {}),
            headers: {
              ...e.extraHeaders,
              'content-type': 'application/json',
              ...(e.c.secret !== undefined ? { [secretHeader]: e.c.secret } : {}),
            },
            ...(e.noBody ? {} : { body: bodyText }),
            isBase64Encoded: e.base64 || e.badBase64,
            requestContext: { http: { method: e.method } },
          };
          const started = performance.now();
          let reply: Reply;
          try {
            const result = await lambda(event);
            reply = { status: result.statusCode, body: result.body };
          } catch (err) {
            rejected++;
            // API Gateway answers a rejected invocation with 500.
            reply = { status: 500, body: `handler rejected: ${errorMessage(err)}` };
          }
          const ms = since(started);
          const method = e.method.toUpperCase();
          const isPost = method === 'POST' && !e.noBody && !e.badBase64;
          const effective = isPost ? e.c : { ...e.c, secretClass: 'missing' as const };
          // A non-POST never reaches the route; a HEAD/GET answer has no JSON body.
          const labelled =
            method === 'POST'
              ? check(figures, effective, reply, enqueued.slice(before))
              : checkNonPost(figures, reply, enqueued.length - before);
          figures.record(labelled, ms, [
            e.c.body.cls,
            `secret:${e.c.secretClass}`,
            e.badBase64 ? 'bad-base64' : e.base64 ? 'base64' : 'plain',
            `method:${method}`,
          ]);
        }),
        { numRuns: RUNS, seed: SEED + 1, endOnFailure: true },
      );
    } finally {
      figures.print({ enqueued: enqueued.length, rejected, crashes: crashWatch.crashes.length });
    }
    expect(figures.failures).toEqual([]);
    expect(crashWatch.crashes).toEqual([]);
  });

  it('Lambda handler: header values API Gateway can deliver but fetch Headers refuse → 4xx, not a rejection', async () => {
    const { lambda, enqueued } = setup();
    const values = ['caf\u00e9', 'sn\u00f6wman \u2603', 'line\nbreak', 'nul\u0000byte', '\ud83d\ude00'];
    const statuses: number[] = [];
    for (const value of values) {
      for (const name of ['x-telegram-bot-api-secret-token', 'user-agent', 'bad header name']) {
        const result = await lambda({
          rawPath: '/telegram/default',
          headers: { [name]: value, 'content-type': 'application/json' },
          body: VALID_SAMPLE,
          requestContext: { http: { method: 'POST' } },
        }).then(
          (r) => r.statusCode,
          () => 500,
        );
        statuses.push(result);
      }
    }
    process.stdout.write(`[hostile] webhook lambda odd header values → ${JSON.stringify(statuses)}\n`);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(enqueued).toEqual([]);
  });
});

function checkNonPost(figures: Figures, reply: Reply, enqueued: number): string {
  const problems: string[] = [];
  if (reply.status >= 500) problems.push(`status ${reply.status}: ${reply.body.slice(0, 200)}`);
  if (enqueued > 0) problems.push('a non-POST enqueued');
  if (STACK_TRACE_RE.test(reply.body)) problems.push('stack trace in the body');
  if (problems.length > 0) {
    figures.fail(problems.join('; '));
    throw new Error(problems.join('; '));
  }
  return `${reply.status} (non-POST)`;
}
